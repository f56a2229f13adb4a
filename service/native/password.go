package native

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/lockwatch/lockwatch/service/config"
)

// passwordTimeout bounds a password command that hangs (waiting for a
// prompt nobody sees, say) when the caller's context has no deadline.
const passwordTimeout = 2 * time.Minute

// passwordFor returns how to get r's password, as restic would get it from
// the environment r.Environ gives it, without reading it yet. env is the
// environment a password command runs with. None of the errors contain
// the password, nor the command (which may carry secrets in its arguments).
func passwordFor(r *config.Repo, env []string) (PasswordFunc, error) {
	// Copies: the caller may edit its config.Repo while we hold on to this.
	switch name := r.Name; {
	case r.PasswordFile != "":
		path := r.PasswordFile
		return func(context.Context) (string, error) { return readPasswordFile(path) }, nil
	case r.PasswordCommand != "":
		args, err := splitShellStrings(r.PasswordCommand)
		if err != nil {
			return nil, fmt.Errorf("password_command: %w", err)
		}
		env := append([]string(nil), env...)
		return func(ctx context.Context) (string, error) { return runPasswordCommand(ctx, args, env) }, nil
	case r.PasswordKeyring:
		return func(context.Context) (string, error) {
			pw, err := config.KeyringPassword(name)
			if err != nil {
				return "", err
			}
			// restic gets it from `lockwatch keyring get`, whose output it trims.
			return nonEmpty(strings.TrimSpace(pw), "the OS keyring")
		}, nil
	}
	return nil, errors.New("no password source (password_file, password_command or password_keyring)")
}

// readPasswordFile reads a password file as restic does: a UTF-8 BOM is
// dropped, UTF-16 with a BOM is converted, and surrounding white space
// (the trailing newline) is trimmed. restic trims the whole content, not
// just its first line, so a password file with two lines gives a password
// with a newline inside, for restic and for us alike.
func readPasswordFile(path string) (string, error) {
	data, err := readTextFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("password_file %s does not exist", path)
	}
	if err != nil {
		return "", fmt.Errorf("reading password_file: %w", err)
	}
	defer clear(data)
	return nonEmpty(strings.TrimSpace(string(data)), "password_file "+path)
}

// runPasswordCommand runs the password command without a shell, with the
// arguments split the way restic splits them, and returns its output
// trimmed as restic trims it.
func runPasswordCommand(ctx context.Context, args []string, env []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, passwordTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = env
	cmd.WaitDelay = 2 * time.Second // a child that keeps stdout open must not hang us
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	// stderr is dropped: unlike restic we have no terminal to pass it to,
	// and it is not ours to put into status messages.
	err := cmd.Run()
	defer clear(stdout.Bytes())
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "", errors.New("password_command did not finish in time")
	case ctx.Err() != nil:
		return "", ctx.Err()
	case err != nil:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return "", fmt.Errorf("password_command failed (%s)", exitErr.ProcessState)
		}
		return "", errors.New("password_command could not be started (its program is not found or not executable)")
	}
	return nonEmpty(strings.TrimSpace(stdout.String()), "password_command")
}

func nonEmpty(pw, source string) (string, error) {
	if pw == "" {
		return "", fmt.Errorf("the password from %s is empty", source)
	}
	return pw, nil
}

// readTextFile reads a file the way restic's textfile.Read does.
func readTextFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeText(data), nil
}

// decodeText drops a UTF-8 byte order mark and converts UTF-16 text that
// starts with a byte order mark to UTF-8 (Windows editors write both).
func decodeText(data []byte) []byte {
	switch {
	case bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}):
		return data[3:]
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		return utf16ToUTF8(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return utf16ToUTF8(data[2:], true)
	}
	return data
}

func utf16ToUTF8(b []byte, bigEndian bool) []byte {
	units := make([]uint16, len(b)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			units[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return []byte(string(utf16.Decode(units)))
}

// splitShellStrings splits a command line into arguments exactly as restic
// does for RESTIC_PASSWORD_COMMAND (internal/backend.SplitShellStrings in
// restic 0.14 and later): white space separates arguments,
// single or double quotes group, and a backslash outside quotes separates
// like white space (and keeps a following quote from opening or closing a
// quoted part). It is not a shell: no variables, no escapes inside quotes.
// A quote also ends the argument before it: `a"b c"` gives a and b c.
func splitShellStrings(data string) ([]string, error) {
	var (
		strs       []string
		quote      rune
		lastChar   rune
		fieldStart = -1
	)
	isSplit := func(c rune) bool {
		if lastChar != '\\' {
			if quote != 0 && c == quote {
				quote = 0
				return true
			}
			if quote == 0 && (c == '"' || c == '\'') {
				quote = c
				return true
			}
		}
		lastChar = c
		if quote != 0 {
			return false
		}
		return c == '\\' || unicode.IsSpace(c)
	}
	for i, c := range data {
		if isSplit(c) {
			if fieldStart >= 0 {
				strs = append(strs, data[fieldStart:i])
				fieldStart = -1
			}
		} else if fieldStart == -1 {
			fieldStart = i
		}
	}
	if fieldStart >= 0 {
		strs = append(strs, data[fieldStart:])
	}
	switch quote {
	case '\'':
		return nil, errors.New("single-quoted string not terminated")
	case '"':
		return nil, errors.New("double-quoted string not terminated")
	}
	if len(strs) == 0 {
		return nil, errors.New("command string is empty")
	}
	return strs, nil
}
