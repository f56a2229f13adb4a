package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lockwatch/lockwatch/service/config"
)

// maxPassword bounds what `keyring set` reads: Keychain and Credential
// Manager refuse more than a few KiB anyway.
const maxPassword = 4 << 10

// newKeyringCommand is `lockwatch keyring`: the OS keyring entries that
// repositories with password_keyring = true use. It is hidden because its
// main user is restic: lockwatch hands it RESTIC_PASSWORD_COMMAND="lockwatch
// keyring get REPO", so the password never appears on a command line or in
// the config file.
func newKeyringCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:    "keyring",
		Short:  "Passwords kept in the OS keyring (for password_keyring = true)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	get := &cobra.Command{
		Use:   "get REPO",
		Short: "Print a repository's password from the OS keyring (restic runs this)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := config.KeyringPassword(args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), pw)
			return err
		},
	}
	set := &cobra.Command{
		Use:   "set REPO",
		Short: "Store a repository's password, read from standard input, in the OS keyring",
		Long: `Store a repository's password in the OS keyring. The password is read from
the first line of standard input, never from the command line, where other
users could see it; at a terminal it asks, without echo:

    lockwatch keyring set nas < ~/nas-password
    pass show restic/nas | lockwatch keyring set nas`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pw string
			var err error
			if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				fmt.Fprintf(cmd.ErrOrStderr(), "Password for %q: ", args[0])
				pw, err = askPassword(int(f.Fd()))
				fmt.Fprintln(cmd.ErrOrStderr())
			} else {
				pw, err = readPassword(cmd.InOrStdin())
			}
			if err != nil {
				return err
			}
			if err := config.SetKeyringPassword(args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Stored the password of %q in the OS keyring.\n", args[0])
			return nil
		},
	}
	del := &cobra.Command{
		Use:   "delete REPO",
		Short: "Remove a repository's password from the OS keyring",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return config.DeleteKeyringPassword(args[0])
		},
	}
	cmd.AddCommand(get, set, del)
	return cmd
}

// readPassword reads the first line of r, without its line ending.
// askPassword reads a password typed at the terminal fd without echo, as
// ssh and sudo ask. Ctrl-C gives the terminal its echo back before exiting.
func askPassword(fd int) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", err
	}
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	defer signal.Stop(interrupt)
	go func() {
		if _, ok := <-interrupt; ok {
			_ = term.Restore(fd, state)
			fmt.Fprintln(os.Stderr)
			os.Exit(130)
		}
	}()
	defer close(interrupt)
	typed, err := term.ReadPassword(fd)
	if err != nil {
		return "", err
	}
	return readPassword(strings.NewReader(string(typed)))
}

func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, maxPassword+1)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if len(line) > maxPassword {
		return "", fmt.Errorf("the password is longer than %d bytes", maxPassword)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if pw == "" {
		return "", errors.New("no password given")
	}
	return pw, nil
}
