package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/discover"
)

// newImportCommand is `lockwatch import`: the repositories other tools
// (Backrest, resticprofile, autorestic, systemd, cron, the environment)
// already know, offered for lockwatch to watch.
func newImportCommand() *cobra.Command {
	var opts importFlags
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Find the restic repositories other tools use, and watch them too",
		Long: `Find the restic repositories set up in Backrest, resticprofile, autorestic,
systemd units, crontabs and the environment, list them with the file and line
each was found at, and add the ones you choose to lockwatch's config (through
the running service when there is one, keeping the file's comments).

A repository lockwatch already watches (the same location) is never added
twice. A password a tool keeps in plain text goes to the OS keyring, never
into lockwatch's config; a password file or command is referenced as it is.
Where no keyring is running you are asked whether to write such passwords to
files only you can read instead (--password-files says yes in advance).

At a terminal it asks which to import; --yes imports every one it can,
--dry-run only lists.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runImport(cmd, opts) },
	}
	f := cmd.Flags()
	f.StringSliceVar(&opts.from, "from", nil, "read only these sources: "+strings.Join(discover.Sources, ", "))
	f.BoolVar(&opts.dryRun, "dry-run", false, "list what would be imported; change nothing")
	f.BoolVarP(&opts.yes, "yes", "y", false, "import every repository found that can be, without asking")
	f.BoolVar(&opts.passwordFiles, "password-files", false, "without an OS keyring, write plain-text passwords to files only you can read")
	return cmd
}

type importFlags struct {
	from                       []string
	dryRun, yes, passwordFiles bool
}

func runImport(cmd *cobra.Command, opts importFlags) error {
	for _, s := range opts.from {
		if !slices.Contains(discover.Sources, s) {
			return usageError{fmt.Errorf("--from %q: not a source; choose from %s", s, strings.Join(discover.Sources, ", "))}
		}
	}
	path, err := configPath(cmd)
	if err != nil {
		return err
	}
	var cfg *config.Config
	if _, statErr := os.Stat(path); statErr == nil {
		if cfg, err = config.Load(path); err != nil {
			return err
		}
	}
	ctx := cmd.Context()
	wd, _ := os.Getwd()
	found, skipped, errs := discover.Discover(ctx, discover.Options{WorkDir: wd, Sources: opts.from, ResticprofileDirs: discover.StatusDirs(cfg)})
	offer := discover.Offer(found, cfg)
	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	printOffer(out, offer, skipped, errs)

	var todo []int
	for i, c := range offer {
		if c.Configured == "" {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 || opts.dryRun {
		if len(todo) > 0 {
			fmt.Fprintf(out, "\n--dry-run: nothing was changed; run without it to import.\n")
		}
		return nil
	}

	in := bufio.NewReader(cmd.InOrStdin())
	terminal := isTerminal(cmd.InOrStdin())
	if !opts.yes {
		if todo, err = askWhich(stderr, in, offer, todo); err != nil {
			return err
		}
		if len(todo) == 0 {
			fmt.Fprintln(stderr, "Nothing imported.")
			return nil
		}
	}

	// Each repository is saved on its own, as the settings window saves one:
	// a refusal of one (a clashing name, a keyring error) keeps the others.
	if _, err := ensureConfig(path); err != nil {
		return err
	}
	b, closeFn, err := openBackend(ctx, cmd, path)
	if err != nil {
		return err
	}
	defer closeFn()
	settings, ok := b.(api.SettingsBackend)
	if !ok {
		return errors.New("this lockwatch cannot change its config")
	}

	passwordDir := ""
	if needsKeyring(offer, todo) {
		if kerr := config.KeyringAvailable(); kerr != nil {
			fmt.Fprintf(stderr, "\nThe OS keyring is not available: %v\n", kerr)
			dir := discover.PasswordDir(path)
			switch {
			case opts.passwordFiles:
			case opts.yes:
				fmt.Fprintf(stderr, "The repositories whose password would go there are skipped; --password-files writes them to files in %s instead.\n", dir)
				dir = ""
			default:
				if !askYes(stderr, in, fmt.Sprintf("Write those passwords to files in %s that only you can read instead? [y/N] ", dir)) {
					dir = ""
				}
			}
			passwordDir = dir
			if dir == "" {
				todo = slices.DeleteFunc(todo, func(i int) bool { return offer[i].NeedsKeyring() })
			}
		}
	}

	var imported, failed []string
	for _, i := range todo {
		c := offer[i]
		o := discover.ImportOptions{PasswordDir: passwordDir}
		if c.Missing != "" && opts.yes {
			fmt.Fprintf(stderr, "Skipped %q: there is no restic repository at %s; import it by its number at a terminal if it is meant to be there.\n", c.Name, c.Missing)
			continue
		}
		if c.NeedsPassword() && opts.yes {
			fmt.Fprintf(stderr, "Skipped %q: no password source found; import it at a terminal to type its password, or add it in Settings.\n", c.Name)
			continue
		}
		if c.NeedsPassword() {
			fmt.Fprintf(stderr, "Password of %q (%s), for the OS keyring; empty skips it: ", c.Name, c.Location())
			pw, err := readAnswerSecret(in, cmd.InOrStdin(), terminal)
			if terminal {
				fmt.Fprintln(stderr)
			}
			if err != nil || pw == "" {
				fmt.Fprintf(stderr, "Skipped %q.\n", c.Name)
				continue
			}
			o.Password = pw
		}
		view, err := discover.Import(ctx, settings, c, o)
		if err != nil {
			fmt.Fprintf(stderr, "Not imported %q: %v\n", c.Name, err)
			failed = append(failed, c.Name)
			continue
		}
		imported = append(imported, view.Name)
		fmt.Fprintf(stderr, "Imported %q (password: %s).\n", view.Name, view.PasswordSource)
	}
	if len(imported) > 0 {
		fmt.Fprintf(out, "\nImported %s into %s: %s. `lockwatch check` checks them now.\n",
			repositories(len(imported)), path, strings.Join(imported, ", "))
	}
	if len(failed) > 0 {
		return exitCodeError{exitError}
	}
	return nil
}

func printOffer(w io.Writer, offer []discover.Candidate, skipped []discover.Skipped, errs []error) {
	if len(offer) == 0 {
		fmt.Fprintln(w, "No restic repositories found in Backrest, resticprofile, autorestic, systemd units, crontabs or the environment.")
	} else {
		fmt.Fprintf(w, "Found %s:\n\n", repositories(len(offer)))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\tNAME\tREPOSITORY\tFOUND IN")
		for i, c := range offer {
			mark := strconv.Itoa(i+1) + "."
			if c.Configured != "" {
				mark = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", mark, shown(c.Name), shown(c.Location()), shown(c.Origin().String()))
		}
		tw.Flush()
		for _, c := range offer {
			fmt.Fprintf(w, "\n%s:\n", shown(c.Name))
			for _, l := range details(c) {
				fmt.Fprintf(w, "  %s\n", shown(l))
			}
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintln(w, "\nSkipped (lockwatch does not guess):")
		for _, s := range skipped {
			fmt.Fprintf(w, "  %s\n", shown(s.String()))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintln(w, "\nCould not read:")
		for _, e := range errs {
			fmt.Fprintf(w, "  %s\n", shown(e.Error()))
		}
	}
}

// details are the lines under a candidate: already there, the password
// source, the extras carried over, the notes.
func details(c discover.Candidate) []string {
	var lines []string
	if c.Configured != "" {
		return []string{fmt.Sprintf("already configured as %q", c.Configured)}
	}
	if c.Missing != "" {
		lines = append(lines, "not found: there is no restic repository at "+c.Missing)
	}
	if c.NeedsPassword() {
		lines = append(lines, "password: none found; you are asked for it (it goes to the OS keyring)")
	} else {
		lines = append(lines, "password: "+c.PasswordSource())
	}
	if len(c.Env) > 0 {
		keys := make([]string, 0, len(c.Env))
		for k := range c.Env {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		lines = append(lines, "env: "+strings.Join(keys, ", "))
	}
	if c.AutoUnlock != "" {
		lines = append(lines, "auto_unlock: "+string(c.AutoUnlock))
	}
	if c.ResticprofileStatus != "" {
		lines = append(lines, fmt.Sprintf("runs from resticprofile's status file %s (profile %q)", c.ResticprofileStatus, c.ResticprofileProfile))
	}
	for _, o := range c.Also {
		lines = append(lines, "also in "+o.String())
	}
	for _, n := range c.Notes {
		lines = append(lines, "note: "+n.String())
	}
	return lines
}

// askWhich asks which of todo to import: all (Enter: every one that is
// there), none, or numbers (which may pick one not found where it says).
func askWhich(w io.Writer, in *bufio.Reader, offer []discover.Candidate, todo []int) ([]int, error) {
	all := slices.DeleteFunc(slices.Clone(todo), func(i int) bool { return offer[i].Missing != "" })
	for {
		fmt.Fprintf(w, "\nImport which? all found (Enter), none, or numbers such as 1 3: ")
		line, err := in.ReadString('\n')
		answer := strings.ToLower(strings.TrimSpace(line))
		if err != nil && answer == "" {
			fmt.Fprintln(w)
			return nil, nil // no answer (no input at all): import nothing
		}
		switch answer {
		case "", "all", "a", "y", "yes":
			return all, nil
		case "none", "n", "no", "q":
			return nil, nil
		}
		var chosen []int
		bad := ""
		for _, f := range strings.FieldsFunc(answer, func(r rune) bool { return r == ' ' || r == ',' }) {
			n, err := strconv.Atoi(f)
			if err != nil || n < 1 || n > len(offer) || !slices.Contains(todo, n-1) {
				bad = f
				break
			}
			if !slices.Contains(chosen, n-1) {
				chosen = append(chosen, n-1)
			}
		}
		if bad == "" && len(chosen) > 0 {
			return chosen, nil
		}
		fmt.Fprintf(w, "%q is not one of the numbers listed.\n", bad)
		if err != nil {
			return nil, nil
		}
	}
}

func askYes(w io.Writer, in *bufio.Reader, question string) bool {
	fmt.Fprint(w, question)
	line, _ := in.ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// readAnswerSecret reads a password: without echo at a terminal, else
// the next line of input.
func readAnswerSecret(in *bufio.Reader, stdin io.Reader, terminal bool) (string, error) {
	if terminal {
		return askPassword(int(stdin.(*os.File).Fd()))
	}
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return readPassword(strings.NewReader(line))
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func needsKeyring(offer []discover.Candidate, todo []int) bool {
	return slices.ContainsFunc(todo, func(i int) bool { return offer[i].NeedsKeyring() })
}

// repositories is "1 repository", "2 repositories".
func repositories(n int) string {
	if n == 1 {
		return "1 repository"
	}
	return strconv.Itoa(n) + " repositories"
}
