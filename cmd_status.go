package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
)

func newStatusCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what the service last found",
		Long: `Status asks the running service for every repository's latest check: instant,
no restic started. Without a service it checks in-process instead, and says so.

EXIT STATUS
  0  nothing needs attention
  1  some repository has a lock that needs attention (stale, unrefreshed or invalid)
  2  some repository could not be checked, or a usage or config error`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			backend, closeBackend, err := api.Open(ctx, cfg.Path)
			if err != nil {
				return err
			}
			defer closeBackend()
			st, err := backend.Status(ctx)
			if err == nil && st.Source == api.SourceInProcess {
				cmd.PrintErrln("no lockwatch service is running with this config; checking in-process (start it: lockwatch service run, or service install)")
				st, err = checkNow(ctx, backend, nil)
			}
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(cmd.OutOrStdout(), st); err != nil {
					return err
				}
			} else {
				w := cmd.OutOrStdout()
				if st.Source == "service" {
					fmt.Fprintf(w, "service PID %d, running since %s\n", st.PID, st.StartedAt.Local().Format("2006-01-02 15:04"))
				}
				if st.Notice != "" {
					fmt.Fprintf(w, "note: %s\n", shown(st.Notice))
				}
				printStatus(w, st)
				for _, r := range st.Repos {
					if !r.NextCheckAt.IsZero() {
						fmt.Fprintf(w, "%s: checked %s, next check %s, auto-unlock %s%s\n", r.Name, clock(r.CheckedAt), clock(r.NextCheckAt), r.AutoUnlock, watching(r.Watch))
					}
					if r.Watch != nil && r.Watch.Note != "" {
						fmt.Fprintf(w, "  %s\n", shown(r.Watch.Note))
					}
				}
			}
			return exitForStatus(st)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// watching says what makes the service check a repository between its
// scheduled checks.
func watching(w *check.Watch) string {
	switch {
	case w == nil:
		return ""
	case w.What() == "":
		return "; between checks nothing is watched"
	}
	return "; watching " + w.What()
}

func clock(t time.Time) string {
	if t.IsZero() {
		return "not yet"
	}
	return t.Local().Format("15:04:05")
}
