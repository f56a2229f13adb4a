package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lockwatch/lockwatch/platform/paths"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/runner"
	"github.com/lockwatch/lockwatch/service/store"
)

func newRunCommand() *cobra.Command {
	var wait, grace time.Duration
	cmd := &cobra.Command{
		Use:   "run REPO [--wait DURATION] [--grace DURATION] -- COMMAND [ARGS...]",
		Short: "Run a backup command for a repository, guarded and recorded",
		Long: `Run runs COMMAND (usually restic) for the configured repository REPO,
for cron, systemd timers, launchd and Task Scheduler:

  lockwatch run nas -- restic backup ~/Documents

COMMAND gets the repository's environment (RESTIC_REPOSITORY or _FILE,
the password source and env from the config) in place of any RESTIC_*
variables of its own. Its input and output pass through unchanged.

  - Only one run per repository at a time: a second one exits 75 at once,
    naming the first (or waits for it with --wait).
  - SIGINT and SIGTERM are passed on to COMMAND, and lockwatch waits for it
    so that restic removes its own lock; only after --grace is it killed.
  - When restic fails on a lock and the repository's auto_unlock level
    covers that lock's verdict, lockwatch removes it (audited as "run")
    and runs COMMAND once more. Live and fresh locks are never removed.
  - Every run is recorded: see "lockwatch runs". Only the command's name
    is kept, never its arguments.

EXIT STATUS
  COMMAND's own exit status (128+N when signal N ended it)
  75   another run for REPO was in progress; nothing ran
  127  COMMAND could not be started
  2    a usage or config error, or an unknown REPO; nothing ran`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch dash := cmd.ArgsLenAtDash(); {
			case dash < 0:
				return usageError{errors.New(`put "--" between REPO and the command, e.g. lockwatch run nas -- restic backup ~/Documents`)}
			case dash != 1:
				return usageError{errors.New("give exactly one REPO before \"--\"")}
			case len(args) < 2:
				return usageError{errors.New(`no command after "--"`)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd, args[0], args[1:], wait, grace)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&wait, "wait", 0, "wait up to `DURATION` for a run in progress instead of skipping (exit 75)")
	f.DurationVar(&grace, "grace", runner.DefaultGrace, "after passing on SIGINT/SIGTERM, kill the command if it has not ended within `DURATION`")
	return cmd
}

func runRun(cmd *cobra.Command, repo string, command []string, wait, grace time.Duration) error {
	if wait < 0 || grace <= 0 {
		return usageError{errors.New("--wait must not be negative, and --grace must be positive")}
	}
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	stateDir, err := paths.StateDir()
	if err != nil {
		return err
	}
	// The run goes ahead when the history cannot be written: a backup
	// matters more than its record. The runner warns on each failed write.
	st, err := store.Open(daemon.StorePath(stateDir))
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "lockwatch: this run will not be recorded: %v\n", err)
		st = nil
	}
	// Where auto_unlock covers the lock that blocks the run, the service
	// (or the same in this process) removes it and records that.
	// As with the history, the run goes ahead without.
	backend, closeBackend, err := openBackend(cmd.Context(), cmd, cfg.Path)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "lockwatch: a stale lock that blocks this run cannot be removed: %v\n", err)
		backend = nil
	} else {
		defer closeBackend()
	}
	_, code, err := runner.Execute(cmd.Context(), runner.Options{
		Config:   cfg,
		Repo:     repo,
		Command:  command,
		Wait:     wait,
		Grace:    grace,
		StateDir: stateDir,
		Store:    st,
		Backend:  backend,
		// The real files, not cmd's writers: a terminal must stay a
		// terminal for restic (progress, password prompts), and stdin
		// may be what restic backs up.
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Log:    cmd.ErrOrStderr(),
	})
	if err != nil {
		return err
	}
	if client, ok := backend.(*api.Client); ok && st != nil {
		// Tell the running service, so the tray shows (and notifies) at once.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), 5*time.Second)
		_ = client.RunFinished(ctx, repo)
		cancel()
	}
	if code != 0 {
		return exitCodeError{code}
	}
	return nil
}
