package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/lockwatch/lockwatch/platform/paths"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/install"
)

func newServiceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service",
		Short: "Run, install or control the background service",
		Long: `The service checks every configured repository on its schedule, removes
stale locks where auto_unlock allows it, keeps a history of what it did,
and answers the tray and the CLI over a local socket only you can reach.

  lockwatch service run         run it here (what the login service starts)
  lockwatch service install     start it at login (systemd user unit, LaunchAgent, or HKCU Run)
  lockwatch service uninstall   stop it and remove it from login
  lockwatch service start|stop  start or stop the installed service
  lockwatch service status      installed? running?`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return usageError{errors.New("name a service command")} },
	}
	run := &cobra.Command{
		Use:   "run",
		Short: "Run the service in the foreground",
		Long: `Run the service until it is stopped (Ctrl-C, SIGTERM, or the service manager).
Only one service runs per user: a second one exits at once.

EXIT STATUS
  0  stopped normally
  2  could not start (already running, bad config, ...)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runService(cmd) },
	}
	var system bool
	installCmd := &cobra.Command{
		Use:   "install",
		Short: "Start the service at login",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := install.Options{System: system}
			if p, _ := cmd.Flags().GetString("config"); p != "" {
				abs, err := filepath.Abs(p)
				if err != nil {
					return err
				}
				opts.ConfigPath = abs
			}
			msg, err := install.Install(opts)
			if err != nil {
				return err
			}
			cmd.Println(msg)
			return nil
		},
	}
	installCmd.Flags().BoolVar(&system, "system", false, "Windows: install a system service (needs admin) instead of per-user autostart")
	uninstall := &cobra.Command{
		Use:   "uninstall",
		Short: "Stop the service and remove it from login",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			msg, err := install.Uninstall()
			if err != nil {
				return err
			}
			cmd.Println(msg)
			return nil
		},
	}
	simple := func(use, short string, fn func() error, done string) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, args []string) error {
			if err := fn(); err != nil {
				return err
			}
			cmd.Println(done)
			return nil
		}}
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Say whether the service is installed and running",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			installed, err := install.Status()
			if err != nil {
				return err
			}
			running := "not running"
			if c, _ := api.Connect(cmd.Context(), ""); c != nil {
				if st, err := c.Status(cmd.Context()); err == nil {
					running = fmt.Sprintf("running (PID %d, since %s, %d repositories)", st.PID, st.StartedAt.Local().Format("2006-01-02 15:04"), len(st.Repos))
				}
			}
			cmd.Printf("%s\nservice: %s\n", installed, running)
			return nil
		},
	}
	cmd.AddCommand(run, installCmd, uninstall,
		simple("start", "Start the installed service", install.Start, "started"),
		simple("stop", "Stop the installed service", install.Stop, "stopped"),
		status)
	return cmd
}

// runService is `lockwatch service run`.
func runService(cmd *cobra.Command) error {
	cfgPath, err := configPath(cmd)
	if err != nil {
		return err
	}
	stateDir, err := paths.StateDir()
	if err != nil {
		return err
	}
	svc, err := api.NewServer(cfgPath, serviceLogger(cmd.ErrOrStderr(), stateDir))
	if err != nil {
		return err
	}
	if err := svc.Listen(); err != nil {
		svc.Close()
		return err // a service nobody can reach is no service
	}
	return install.RunManaged(install.ServiceName, svc.Run)
}

// serviceLogger logs to the terminal when there is one, else to a file
// (install.LogFile: the state dir, ~/Library/Logs/lockwatch on macOS) that
// is rotated so it can never fill the disk.
func serviceLogger(stderr io.Writer, stateDir string) *slog.Logger {
	if install.Interactive() {
		return slog.New(slog.NewTextHandler(stderr, nil))
	}
	file := install.LogFile(stateDir)
	_ = os.MkdirAll(filepath.Dir(file), 0o700) // lumberjack would make it 0755
	return slog.New(slog.NewTextHandler(&lumberjack.Logger{
		Filename: file, MaxSize: 5, MaxBackups: 3,
	}, nil))
}
