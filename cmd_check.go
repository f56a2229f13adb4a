package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/spf13/cobra"
)

func newCheckCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check [REPO...]",
		Short: "Check repositories for locks now",
		Long: `Check lists the locks of the named repositories (all when none is named),
judges each one and prints a line per repository and a line per lock. The
running service checks them (so its history and the tray see the result);
without one lockwatch does the same in this process. Either way, where a
repository's auto_unlock is on, the stale locks it covers are removed and
recorded, as on the service's own schedule.

Verdicts:
  live      this host, and its restic process is running
  fresh     another host's lock, refreshed within restic's 30 minutes
  orphaned  this host, and its process is gone (or its PID was reused)
  expired   not refreshed for more than 30 minutes
  invalid   the lock file is empty, corrupt or unreadable

EXIT STATUS
  0  nothing needs attention
  1  some repository has a lock that needs attention (stale, unrefreshed or invalid)
  2  some repository could not be checked, or a usage or config error`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd, args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

func runCheck(cmd *cobra.Command, names []string, asJSON bool) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	backend, closeBackend, err := openBackend(ctx, cmd, cfg.Path)
	if err != nil {
		return err
	}
	defer closeBackend()
	st, err := checkNow(ctx, backend, names)
	if err != nil {
		return err
	}
	if asJSON {
		if err := printJSON(cmd.OutOrStdout(), st); err != nil {
			return err
		}
	} else {
		printStatus(cmd.OutOrStdout(), st)
	}
	return exitForStatus(st)
}

// exitForStatus is check's and status's exit status.
func exitForStatus(st check.Status) error {
	switch worst := st.Worst(); {
	case worst == check.StateError:
		return exitCodeError{exitError}
	case worst.Worse(check.StateBusy):
		return exitCodeError{exitAttention}
	}
	return nil
}

// checkNow checks the named repositories (all when none is named) through
// the service, or the same in this process, so that its history and the
// tray see the result too, and auto-unlock does what it would on schedule.
func checkNow(ctx context.Context, b api.Backend, names []string) (check.Status, error) {
	svc, err := b.Status(ctx)
	if err != nil {
		return check.Status{}, err
	}
	if len(names) == 0 {
		for _, r := range svc.Repos {
			names = append(names, r.Name)
		}
	}
	st := check.Status{CheckedAt: time.Now(), Source: svc.Source, ConfigPath: svc.ConfigPath, PID: svc.PID, StartedAt: svc.StartedAt,
		Repos: make([]check.RepoStatus, len(names))}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st.Repos[i], errs[i] = b.Check(ctx, name)
		}()
	}
	wg.Wait()
	return st, errors.Join(errs...)
}

// printStatus writes a line per repository and an indented line per lock.
func printStatus(w io.Writer, st check.Status) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(st.Repos) == 0 {
		fmt.Fprintln(tw, "no repositories configured")
	}
	for _, r := range st.Repos {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", shown(r.Name), r.State, shown(repoSummary(r)))
		for _, l := range r.Locks {
			printLock(tw, "  ", l)
		}
		if r.ReaderNote != "" {
			fmt.Fprintf(tw, "  note: %s\n", shown(r.ReaderNote))
		}
		if r.LocksNote != "" {
			fmt.Fprintf(tw, "  note: %s\n", shown(r.LocksNote))
		}
	}
	tw.Flush()
}

func repoSummary(r check.RepoStatus) string {
	if r.Error != "" {
		return r.Error
	}
	if r.Failure != "" {
		return r.Failure
	}
	stale := 0
	for _, l := range r.Locks {
		if l.Verdict.NeedsAttention() {
			stale++
		}
	}
	switch {
	case r.UnreadLocks > 0:
		return fmt.Sprintf("%s read, %d need attention, %d not read yet", plural(len(r.Locks), "lock"), stale, r.UnreadLocks)
	case len(r.Locks) == 0:
		return "no locks"
	case stale == 0:
		return plural(len(r.Locks), "lock") + ", all in use"
	default:
		return fmt.Sprintf("%s, %d need attention (`lockwatch unlock %s`)", plural(len(r.Locks), "lock"), stale, r.Name)
	}
}

// printLock writes one lock as a tab-separated row.
func printLock(w io.Writer, indent string, l check.LockStatus) {
	if l.Verdict == lock.Invalid || l.Verdict == check.Unread {
		fmt.Fprintf(w, "%s%s\t\t\t\t\t\t%s\t%s\n", indent, shown(l.ShortID()), l.Verdict, shown(l.Reason))
		return
	}
	user := l.Username
	if user == "" {
		user = "-"
	}
	fmt.Fprintf(w, "%s%s\t%s\t%s\t%s\tPID %d\t%s\t%s\t%s\n", indent, shown(l.ShortID()), l.Kind(), shown(l.Hostname), shown(user), l.PID, lock.Age(l.Age()), l.Verdict, shown(l.Reason))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
