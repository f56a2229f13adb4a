package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode"

	"github.com/lockwatch/lockwatch/platform/atomicfile"
	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/spf13/cobra"
)

// configPath is --config, else $LOCKWATCH_CONFIG, else the OS default.
func configPath(cmd *cobra.Command) (string, error) {
	if p, _ := cmd.Flags().GetString("config"); p != "" {
		return p, nil
	}
	return config.DefaultPath()
}

// loadConfig reads the config the command line points at.
func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	path, err := configPath(cmd)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no config file at %s; run `lockwatch demo` to try lockwatch on a demo repository, or write one (see README.md)", path)
	}
	return cfg, err
}

const emptyConfig = `# lockwatch configuration: add repositories here or in the app's Settings.
# See README.md for every key.

[defaults]
check_interval = "5m"
`

// ensureConfig writes an empty config file at path if there is none yet,
// so that repositories can be added to it (in Settings, by an import), and
// reports whether it did.
func ensureConfig(path string) (created bool, err error) {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := atomicfile.Write(path, []byte(emptyConfig), 0o600); err != nil {
		return false, err
	}
	return true, nil
}

// shown escapes control characters in a string that came from outside (a
// lock's host name, a server's error message), so that it cannot fake
// rows or send escape sequences to the terminal.
func shown(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// openBackend is api.Open for commands: it warns on stderr when the
// command works on its own although a socket answered (another user's).
func openBackend(ctx context.Context, cmd *cobra.Command, cfgPath string) (api.Backend, func(), error) {
	b, closeFn, err := api.Open(ctx, cfgPath)
	if l, ok := b.(api.Local); ok && l.Notice != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "lockwatch: warning: %s\n", l.Notice)
	}
	return b, closeFn, err
}
