package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/config"
)

// runKeyring runs `lockwatch keyring ARGS` with stdin. The keyring is
// go-keyring's in-memory mock, a stand-in for the OS keyring: tests in this
// process must not touch the developer's (TestKeyringWithARealSecretService
// runs lockwatch against a real Secret Service).
func runKeyring(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newKeyringCommand()
	var out, errOut bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestKeyringCommand(t *testing.T) {
	// A stand-in keyring (go-keyring's in-memory mock): in-process tests must not
	// reach the developer's keyring; TestKeyringWithARealSecretService runs a real one.
	config.MockKeyring()
	if !newKeyringCommand().Hidden {
		t.Error("the keyring command should be hidden")
	}
	_, stderr, err := runKeyring(t, "pw s3cr3t\r\nsecond line\n", "set", "my repo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr, "s3cr3t") {
		t.Errorf("set echoes the password: %q", stderr)
	}
	if pw, _ := config.KeyringPassword("my repo"); pw != "pw s3cr3t" {
		t.Errorf("stored %q", pw)
	}
	out, _, err := runKeyring(t, "", "get", "my repo")
	if err != nil || out != "pw s3cr3t\n" {
		t.Errorf("get: %q, %v", out, err)
	}

	if _, _, err := runKeyring(t, "\n", "set", "x"); err == nil || !strings.Contains(err.Error(), "no password") {
		t.Errorf("empty password: %v", err)
	}
	if _, _, err := runKeyring(t, strings.Repeat("x", maxPassword+1), "set", "x"); err == nil {
		t.Error("an overlong password was stored")
	}
	if _, _, err := runKeyring(t, "pw", "set"); err == nil {
		t.Error("set without a repo name")
	}

	if _, _, err := runKeyring(t, "", "delete", "my repo"); err != nil {
		t.Fatal(err)
	}
	out, _, err = runKeyring(t, "", "get", "my repo")
	if !errors.Is(err, config.ErrNoKeyringPassword) || out != "" {
		t.Errorf("get after delete: %q, %v", out, err)
	}
}
