package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/runner"
)

func newRunsCommand() *cobra.Command {
	var (
		asJSON bool
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "runs [REPO]",
		Short: "List recent runs of `lockwatch run`, newest first",
		Long: `Runs lists the recorded runs of "lockwatch run", newest first: when each
started, the repository, the result (ok, failed, skipped, locked), the exit
status, how long it took and what happened.

It reads the history directly and needs neither the service nor a valid
config, so it also shows runs of repositories no longer configured.

  --json       print the runs as a JSON array, with the last stderr lines
               and the lock that blocked a run
  --limit N    show the newest N runs (default 20; 0 shows all)`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo := ""
			if len(args) == 1 {
				repo = args[0]
			}
			return runRuns(cmd, repo, asJSON, limit)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the runs as JSON")
	f.IntVar(&limit, "limit", 20, "show the newest `N` runs (0 for all)")
	return cmd
}

func runRuns(cmd *cobra.Command, repo string, asJSON bool, limit int) error {
	if limit < 0 {
		return usageError{errors.New("--limit must not be negative")}
	}
	st, _, err := daemon.OpenUserStore(true)
	if err != nil {
		return err
	}
	entries, err := runner.History(st, repo, limit)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if asJSON {
		return printJSON(w, entries)
	}
	if len(entries) == 0 {
		if repo != "" {
			fmt.Fprintf(w, "no runs recorded for %s\n", repo)
		} else {
			fmt.Fprintln(w, "no runs recorded (see `lockwatch help run`)")
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\texit %d\t%s\t%s\n",
			e.StartedAt.Local().Format("2006-01-02 15:04:05"), e.Repo, e.Result, e.ExitCode, runDuration(e.Duration()), e.Summary)
	}
	return tw.Flush()
}

// runDuration keeps a tenth of a second for short runs (a skipped one
// takes milliseconds), whole seconds for the rest.
func runDuration(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
