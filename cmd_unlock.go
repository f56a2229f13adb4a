package main

import (
	"errors"
	"fmt"
	"net/http"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/check"
	"github.com/spf13/cobra"
)

type unlockOptions struct {
	ids   []string
	force bool
	all   bool
	yes   bool
	json  bool
}

func newUnlockCommand() *cobra.Command {
	var opts unlockOptions
	cmd := &cobra.Command{
		Use:   "unlock REPO",
		Short: "Remove stale locks from a repository",
		Long: `Unlock checks REPO and removes exactly the locks judged orphaned or
expired. Live and fresh locks stay. Each removed and each kept lock is
printed with its verdict and the reason.

Local repositories lose just those lock files. Other backends go through
"restic unlock", and only when restic's own rule would remove the same
locks and would not send SIGHUP to a process that merely reused a lock's PID;
otherwise lockwatch refuses and says which lock stands in the way.

  --lock ID        remove this lock only (full ID or a unique prefix);
                   live and fresh locks need --force as well
  --all --yes      remove every lock, in use or not ("restic unlock --remove-all")

EXIT STATUS
  0  the selected locks are gone (or there was nothing to remove)
  1  lockwatch refused, naming the lock that stands in the way
  2  the repository could not be checked or unlocked, or a usage or config error`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUnlock(cmd, args[0], opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.ids, "lock", nil, "remove only the lock with this `ID` (repeatable)")
	f.BoolVar(&opts.force, "force", false, "with --lock: remove it even if it is live or fresh")
	f.BoolVar(&opts.all, "all", false, "remove every lock, live ones too (needs --yes)")
	f.BoolVar(&opts.yes, "yes", false, "confirm --all")
	f.BoolVar(&opts.json, "json", false, "print removed and kept locks as JSON")
	return cmd
}

func runUnlock(cmd *cobra.Command, name string, opts unlockOptions) error {
	switch {
	case opts.all && !opts.yes:
		return usageError{errors.New("--all removes live locks too, which can break a running backup or prune; add --yes if that is what you want")}
	case opts.all && len(opts.ids) > 0:
		return usageError{errors.New("--all and --lock exclude each other")}
	case opts.force && len(opts.ids) == 0:
		return usageError{errors.New("--force needs --lock ID: name the lock you are sure is dead")}
	}
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
	res, err := backend.Unlock(ctx, name, api.UnlockRequest{Locks: opts.ids, Force: opts.force, All: opts.all, Confirm: opts.all, By: "cli"})
	if isRefusal(err) {
		fmt.Fprintf(cmd.ErrOrStderr(), "lockwatch: refused: %v\n", err)
		return exitCodeError{exitAttention}
	}
	if err != nil {
		return err
	}
	if opts.json {
		return printJSON(cmd.OutOrStdout(), res)
	}
	w := cmd.OutOrStdout()
	switch {
	case len(res.Removed) == 0 && len(res.Kept) == 0:
		fmt.Fprintf(w, "%s: no locks\n", name)
	case len(res.Removed) == 0:
		fmt.Fprintf(w, "%s: nothing to remove\n", name)
	default:
		fmt.Fprintf(w, "%s: removed %s (%s)\n", name, plural(len(res.Removed), "lock"), res.Method)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range res.Removed {
		printLock(tw, "  removed  ", l)
	}
	for _, l := range res.Kept {
		printLock(tw, "  kept     ", l)
	}
	return tw.Flush()
}

// isRefusal tells lockwatch's refusals, in process or from the service
// (HTTP 409), from failures.
func isRefusal(err error) bool {
	var refused *check.RefusedError
	var apiErr *api.Error
	return errors.As(err, &refused) || (errors.As(err, &apiErr) && apiErr.Code == http.StatusConflict)
}
