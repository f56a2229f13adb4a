package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
	"github.com/lockwatch/lockwatch/platform/paths"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/spf13/cobra"
)

func newDemoCommand() *cobra.Command {
	var dir, restic string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Make a demo repository with a real stale lock",
		Long: `Demo creates (or reuses) a restic repository in the user's data directory
and leaves a real orphaned lock in it: it starts a real "restic backup" and
kills it by its PID before it can clean up, as a crash or a pulled plug would.
It then prints a config that points at the repository, ready for
"lockwatch check" and "lockwatch unlock".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd, dir, restic, quiet)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "where to keep the demo (default: the user data dir's lockwatch/demo)")
	cmd.Flags().StringVar(&restic, "restic", "restic", "restic `binary`")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "print only the config file's path")
	return cmd
}

func runDemo(cmd *cobra.Command, dir, restic string, quiet bool) error {
	if dir == "" {
		data, err := paths.DataDir()
		if err != nil {
			return err
		}
		dir = filepath.Join(data, "demo")
	}
	ctx := cmd.Context()
	repo, err := demo.Init(ctx, restic, dir, 0)
	if err != nil {
		return fmt.Errorf("demo: %w (is restic installed? Debian: apt-get install restic)", err)
	}
	locks, err := repo.Locks()
	if err != nil {
		return err
	}
	made := ""
	if len(locks) == 0 {
		h, err := repo.Hold(ctx, demo.Options{})
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if err := h.Kill(); err != nil {
			return fmt.Errorf("demo: killing restic (PID %d): %w", h.PID, err)
		}
		made = fmt.Sprintf("Started restic backup (PID %d) and killed it: its lock %s stays behind.\n", h.PID, h.LockID[:8])
	}
	cfgPath := filepath.Join(dir, "config.toml")
	text := config.Example(repo.Location, repo.PasswordFile)
	if _, err := config.Parse(cfgPath, []byte(text)); err != nil {
		return fmt.Errorf("demo: the example config does not parse: %w", err)
	}
	if _, err := os.Stat(cfgPath); err != nil {
		if err := atomicfile.Write(cfgPath, []byte(text), 0o600); err != nil {
			return err
		}
	}
	w := cmd.OutOrStdout()
	if quiet {
		_, err := fmt.Fprintln(w, cfgPath)
		return err
	}
	fmt.Fprintf(w, "Demo repository: %s\n%s", repo.Location, made)
	if made == "" {
		fmt.Fprintf(w, "It already holds %s.\n", plural(len(locks), "lock"))
	}
	fmt.Fprintf(w, "Config: %s\n\n%s\nTry:\n  lockwatch --config %s check\n  lockwatch --config %s unlock demo\n", cfgPath, text, cfgPath, cfgPath)
	return nil
}
