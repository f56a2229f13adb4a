// The Go runtime otherwise re-reads the cgroup CPU limit every few seconds
// to adjust GOMAXPROCS: a wakeup the tray, idle all day, does not need.
//
//go:debug updatemaxprocs=0

// Command lockwatch keeps restic backups from silently stalling: it finds
// stale repository locks, judges them and removes them safely. With no
// arguments it starts the tray app; with a command it is a CLI for scripts.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lockwatch/lockwatch/platform/notify"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if exe, err := os.Executable(); err == nil {
		config.SetSelf(exe) // restic runs us for passwords kept in the keyring
	}
	daemon.Version = version
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses shared by the commands.
const (
	exitOK        = 0
	exitAttention = 1 // a repository has stale locks, or an unlock was refused
	exitError     = 2 // a repository could not be checked, or a usage or config error
)

// exitCodeError ends the program with a status but no further message.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a mistake in the command line: usage follows, exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	var exit exitCodeError
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage) || isCobraUsageError(err):
		fmt.Fprintf(stderr, "lockwatch: %v\n\n", err)
		fmt.Fprint(stderr, cmd.UsageString())
		return exitError
	default:
		fmt.Fprintf(stderr, "lockwatch: %v\n", err)
		return exitError
	}
}

// isCobraUsageError recognises cobra's own complaints about the command line.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "flag needs an argument", "invalid argument"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "lockwatch",
		Short: "Find and remove stale restic repository locks",
		Long: `lockwatch checks restic repositories for locks, judges each one
(live, fresh, orphaned, expired, invalid) and removes the stale ones safely.

Without a command it starts the tray app.`,
		Args:          appArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			target, _ := appTarget(args)
			return runApp(cmd, target)
		},
	}
	root.PersistentFlags().String("config", "", "config `file` (default $LOCKWATCH_CONFIG, else the user config dir's lockwatch/config.toml)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newCheckCommand(), newStatusCommand(), newUnlockCommand(), newServiceCommand(), newDemoCommand(), newRepoCommand(), newVersionCommand(), newKeyringCommand(), newRunCommand(), newRunsCommand(), newWindowCommand(), newImportCommand())
	return root
}

// appArgs accepts no arguments, or one lockwatch:// link (how a click on a
// Windows notification opens the app on a repository).
func appArgs(cmd *cobra.Command, args []string) error {
	if _, ok := appTarget(args); ok {
		return nil
	}
	return fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
}

// appTarget is what the app should open for these arguments: "" for none,
// "repo/my nas" for "lockwatch://repo/my%20nas/" as Windows passes it.
func appTarget(args []string) (target string, ok bool) {
	switch len(args) {
	case 0:
		return "", true
	case 1:
		return notify.ParseURL(args[0])
	}
	return "", false
}
