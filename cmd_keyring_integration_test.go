package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// secretService starts a private D-Bus session bus with a real Secret
// Service on it (gnome-keyring-daemon, its login keyring unlocked with a
// throwaway password) and returns the environment that reaches both.
func secretService(t *testing.T) []string {
	t.Helper()
	for _, bin := range []string{"dbus-daemon", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed (run `make deps`, or apt-get install dbus gnome-keyring): %v", bin, err)
		}
	}
	home := t.TempDir()
	runtime := filepath.Join(home, "run")
	os.MkdirAll(runtime, 0o700)

	bus := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	// SIGTERM: dbus-daemon then removes its socket from /tmp.
	t.Cleanup(func() { bus.Process.Signal(syscall.SIGTERM); bus.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	env := append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+strings.TrimSpace(addr),
		"HOME="+home, "XDG_RUNTIME_DIR="+runtime, "XDG_DATA_HOME="+filepath.Join(home, "data"))

	keyring := exec.Command("gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground")
	keyring.Env = env
	keyring.Stdin = strings.NewReader("keyring-password")
	var logs syncBuffer
	keyring.Stdout, keyring.Stderr = &logs, &logs
	if err := keyring.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keyring.Process.Signal(syscall.SIGTERM); keyring.Wait() })

	conn, err := dbus.Connect(strings.TrimSpace(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitFor(t, 15*time.Second, "gnome-keyring-daemon serves org.freedesktop.secrets", func() bool {
		var owned bool
		return conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&owned) == nil && owned
	})
	return env
}

// The keyring path end to end with a real Secret Service: the password goes
// in through `lockwatch keyring set` (stdin), the config only says
// password_keyring = true, and the real repository opens with it: restic
// gets it by running `lockwatch keyring get` (RESTIC_PASSWORD_COMMAND), the
// native reader from the keyring directly; both find the orphaned lock.
func TestKeyringWithARealSecretService(t *testing.T) {
	env := secretService(t)
	repo := demotest.LocalRepo(t)
	dead := demotest.Orphan(t, repo)
	password, err := os.ReadFile(repo.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	bin := lockwatchBinary(t)
	set := exec.Command(bin, "keyring", "set", "nas")
	set.Env, set.Stdin = env, strings.NewReader(string(password))
	if out, err := set.CombinedOutput(); err != nil || strings.Contains(string(out), strings.TrimSpace(string(password))) {
		t.Fatalf("keyring set: %v\n%s", err, out)
	}

	for _, reader := range []string{"restic", "native"} {
		cfg := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\n[[repo]]\nname = \"nas\"\nrepository = %q\npassword_keyring = true\nreader = %q\n",
			demotest.Restic(t), repo.Location, reader))
		checkCmd := exec.Command(bin, "--config", cfg, "check", "--json")
		checkCmd.Env = env
		out, _ := checkCmd.Output()
		var st check.Status
		if err := json.Unmarshal(out, &st); err != nil || len(st.Repos) != 1 {
			t.Fatalf("%s: check --json: %v\n%s", reader, err, out)
		}
		r := st.Repos[0]
		if r.State != check.StateStale || r.Reader != reader || len(r.Locks) != 1 || r.Locks[0].ID != dead.LockID {
			t.Errorf("%s: %s %q, reader %q, locks %+v", reader, r.State, r.Error, r.Reader, r.Locks)
		}
		if data, _ := os.ReadFile(cfg); strings.Contains(string(data), strings.TrimSpace(string(password))) {
			t.Errorf("the password is in the config file")
		}
	}

	// A person at a terminal (a pty from script(1)) is asked, and what they
	// type is not echoed.
	typed := exec.Command("script", "-qec", bin+" keyring set typed", "/dev/null")
	typed.Env = env
	tty, err := typed.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var screen syncBuffer
	typed.Stdout, typed.Stderr = &screen, &screen
	if err := typed.Start(); err != nil {
		t.Fatalf("script (bsdutils): %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- typed.Wait() }()
	t.Cleanup(func() { typed.Process.Kill(); <-exited })
	waitFor(t, 10*time.Second, "the password prompt", func() bool { return strings.Contains(screen.String(), `Password for "typed": `) })
	// The prompt is written just before echo goes off: type only once the
	// terminal has stopped echoing.
	waitFor(t, 10*time.Second, "echo off on the prompt's terminal", func() bool { return echoOff(t, typed.Process.Pid) })
	io.WriteString(tty, "typed-s3cret\r")
	select {
	case err = <-exited:
		exited <- err // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatalf("keyring set at a terminal did not end:\n%q", screen.String())
	}
	if err != nil || strings.Contains(screen.String(), "typed-s3cret") || !strings.Contains(screen.String(), "Stored the password") {
		t.Errorf("keyring set at a terminal: %v\n%q", err, screen.String())
	}
	get := exec.Command(bin, "keyring", "get", "typed")
	get.Env = env
	if out, err := get.Output(); err != nil || string(out) != "typed-s3cret\n" {
		t.Errorf("the typed password: %q, %v", out, err)
	}

	del := exec.Command(bin, "keyring", "delete", "nas")
	del.Env = env
	if out, err := del.CombinedOutput(); err != nil {
		t.Fatalf("keyring delete: %v\n%s", err, out)
	}
	get = exec.Command(bin, "keyring", "get", "nas")
	get.Env = env
	if out, err := get.CombinedOutput(); err == nil || strings.Contains(string(out), strings.TrimSpace(string(password))) {
		t.Errorf("keyring get after delete: %v\n%s", err, out)
	}
}

// echoOff reports whether the terminal that script (PID scriptPID) made for
// its child has echo turned off: it asks stty about the child's stdin, the
// pty's slave side, whose settings are the ones a password prompt changes.
func echoOff(t *testing.T, scriptPID int) bool {
	t.Helper()
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", scriptPID, scriptPID))
	if err != nil {
		t.Fatalf("the children of script: %v", err)
	}
	child, _, _ := strings.Cut(strings.TrimSpace(string(children)), " ")
	if child == "" {
		return false // not forked yet
	}
	tty, err := os.Readlink("/proc/" + child + "/fd/0")
	if err != nil || !strings.HasPrefix(tty, "/dev/pts/") {
		return false // not on the pty yet
	}
	out, err := exec.Command("stty", "-a", "-F", tty).Output()
	if err != nil {
		t.Fatalf("stty -a -F %s: %v", tty, err)
	}
	return slices.Contains(strings.Fields(string(out)), "-echo")
}
