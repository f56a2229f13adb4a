package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newRepoCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "Show the configured repositories",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the configured repositories (no secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			type repoInfo struct {
				Name          string `json:"name"`
				Location      string `json:"location"`
				AutoUnlock    string `json:"auto_unlock"`
				CheckInterval string `json:"check_interval"`
			}
			repos := []repoInfo{}
			for i := range cfg.Repos {
				r := &cfg.Repos[i]
				repos = append(repos, repoInfo{r.Name, r.Location(), string(r.AutoUnlock), cfg.Interval(r).String()})
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), map[string]any{"config": cfg.Path, "repos": repos})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "NAME\tLOCATION\tAUTO-UNLOCK\tEVERY\n")
			for _, r := range repos {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", shown(r.Name), shown(r.Location), r.AutoUnlock, r.CheckInterval)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(list)
	return cmd
}
