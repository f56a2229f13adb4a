package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/ipc"
	lwapi "github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// The secrets of a config — password_command, env values, a password in
// the repository URL, the password a password file holds — appear in no
// output of any command, no answer of the local API, no event, no log line
// and nowhere in the store; and no restic lockwatch starts has one on its
// command line. Each is a distinctive string, looked for in every byte.
func TestSecretsStayOutOfEveryChannel(t *testing.T) {
	const (
		cmdSecret = "CMDSECRET-b7e1c0de" // in password_command's arguments
		envSecret = "ENVSECRET-5a9f33aa" // an env value
		urlSecret = "URLSECRET-0c4d2e71" // the password in a REST URL
	)
	local := demotest.LocalRepo(t)
	rest := demotest.RESTRepo(t)
	secrets := map[string]string{
		"password_command": cmdSecret,
		"env value":        envSecret,
		"URL password":     urlSecret,
		"local password":   readTrimmed(t, local.PasswordFile), // random hex, a distinctive string too
		"REST password":    readTrimmed(t, rest.PasswordFile),
	}
	// rclone serves the repository without asking for credentials: the
	// user and password in the URL are restic's to send, and it ignores
	// what it does not ask for.
	restURL := strings.Replace(rest.Location, "rest:http://", "rest:http://lockwatch:"+urlSecret+"@", 1)
	missingURL := strings.Replace(restURL, "/test/", "/missing/", 1) // a repository that is not there: errors

	// The password command records the command line of the process that
	// runs it — restic, for the restic reader (it gets the command through
	// RESTIC_PASSWORD_COMMAND), or lockwatch itself for the native reader —
	// and of that process's parent, while they run; then prints the
	// password from the file named by its first argument.
	dir := t.TempDir()
	argvLog := filepath.Join(dir, "argv.log")
	script := filepath.Join(dir, "password-command")
	writeExecutable(t, script, fmt.Sprintf(`#!/bin/sh
for pid in "$PPID" "$(cut -d' ' -f4 /proc/$PPID/stat)"; do
	{ printf '%%s: ' "$pid"; tr '\0' ' ' < /proc/$pid/cmdline; echo; } >> %q
done
cat "$1"
`, argvLog))
	passwordCommand := func(file string) string { return fmt.Sprintf("%s %s --token=%s", script, file, cmdSecret) }
	env := fmt.Sprintf("env = { AWS_SECRET_ACCESS_KEY = %q }\n", envSecret)
	repo := func(name, location, password, reader string) string {
		return fmt.Sprintf("\n[[repo]]\nname = %q\nrepository = %q\n%s\n%sreader = %q\n", name, location, password, env, reader)
	}
	cfg := writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\n", demotest.Restic(t))+
		repo("local-restic", local.Location, fmt.Sprintf("password_command = %q", passwordCommand(local.PasswordFile)), "restic")+
		repo("local-native", local.Location, fmt.Sprintf("password_file = %q", local.PasswordFile), "native")+
		repo("rest-restic", restURL, fmt.Sprintf("password_command = %q", passwordCommand(rest.PasswordFile)), "restic")+
		repo("rest-native", restURL, fmt.Sprintf("password_file = %q", rest.PasswordFile), "native")+
		repo("missing-restic", missingURL, fmt.Sprintf("password_command = %q", passwordCommand(rest.PasswordFile)), "restic")+
		repo("missing-native", missingURL, fmt.Sprintf("password_file = %q", rest.PasswordFile), "native"))
	bin := lockwatchBinary(t)
	procEnv := serviceEnv(t)

	var seen bytes.Buffer // every byte any channel carried
	record := func(where string, data []byte) {
		fmt.Fprintf(&seen, "\n=== %s\n", where)
		seen.Write(data)
	}
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--config", cfg}, args...)...)
		cmd.Env = procEnv
		out, _ := cmd.CombinedOutput() // exit codes vary (stale locks, errors); the bytes are what count
		record("lockwatch "+strings.Join(args, " "), out)
		return string(out)
	}
	commands := func() {
		for _, asJSON := range [][]string{nil, {"--json"}} {
			cli(append([]string{"check"}, asJSON...)...)
			cli(append([]string{"status"}, asJSON...)...)
			cli(append([]string{"repo", "list"}, asJSON...)...)
			cli(append([]string{"runs"}, asJSON...)...)
			for _, name := range []string{"local-restic", "local-native", "rest-restic", "rest-native", "missing-restic", "missing-native"} {
				cli(append([]string{"check", name}, asJSON...)...)
				cli(append([]string{"unlock", name}, asJSON...)...)
			}
		}
	}

	// Without a service: the commands work in-process.
	demotest.Orphan(t, local)
	demotest.Orphan(t, rest)
	commands()
	if out := cli("check", "--json"); !strings.Contains(out, `"state": "error"`) || strings.Count(out, `"state": "ok"`) != 4 {
		t.Fatalf("the test's setup: want 4 repositories ok (their orphaned locks removed) and the missing ones failing:\n%s", out)
	}

	// With the service: its log, its event stream, its API's answers, and
	// the commands again, now answered by it.
	svc := startService(t, cfg, procEnv)
	events := streamEvents(t, svc.sock)
	demotest.Orphan(t, local)
	demotest.Orphan(t, rest)
	commands()
	hc := ipc.HTTPClient(svc.sock)
	api := func(method, path, body string) []byte {
		t.Helper()
		req, err := http.NewRequest(method, "http://lockwatch"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		record(method+" "+path, data)
		return data
	}
	api("GET", "/v1/status", "")
	api("GET", "/v1/history", "")
	var view struct {
		Repos []struct {
			Name         string            `json:"name"`
			Repository   string            `json:"repository"`
			PasswordFile string            `json:"password_file"`
			Env          map[string]string `json:"env"`
		} `json:"repos"`
	}
	if err := json.Unmarshal(api("GET", "/v1/config", ""), &view); err != nil || len(view.Repos) != 6 {
		t.Fatalf("GET /v1/config: %v %+v", err, view)
	}
	for _, r := range view.Repos {
		api("POST", "/v1/repos/"+r.Name+"/check", "")
		api("POST", "/v1/repos/"+r.Name+"/unlock", "{}")
		// Testing the repository as the settings form shows it: the
		// service fills in the secrets it masked, and must not send them back.
		body, _ := json.Marshal(lwapi.TestRequest{OldName: r.Name, Repo: config.RepoInput{Name: r.Name, Repository: r.Repository, PasswordFile: r.PasswordFile, Env: r.Env}})
		api("POST", "/v1/test", string(body))
	}
	// The unlocks above and the commands' checks were all published.
	waitFor(t, 30*time.Second, "the event stream to carry an unlock", func() bool {
		return strings.Contains(events.String(), "unlock")
	})
	_ = svc.cmd.Process.Kill()
	<-svc.exited
	record("event stream", []byte(events.String()))
	record("service log", []byte(svc.logs.String()))

	// Every file in the state dirs of the CLI and the service: the store
	// (state.db) and anything beside it.
	for _, root := range []string{envValue(procEnv, "XDG_STATE_HOME"), envValue(procEnv, "XDG_RUNTIME_DIR")} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				data, _ := os.ReadFile(path)
				record(path, data)
			}
			return nil
		})
	}
	if !strings.Contains(seen.String(), "state.db") {
		t.Errorf("no state.db was read: the store's channel went unchecked")
	}
	argv, err := os.ReadFile(argvLog)
	if err != nil {
		t.Fatal(err)
	}
	record("command lines", argv)
	// The capture worked: restic's and lockwatch's command lines are there.
	for _, want := range []string{"restic list locks", "restic cat lock", "restic unlock", "lockwatch --config", "service run"} {
		if !bytes.Contains(argv, []byte(want)) {
			t.Errorf("no command line with %q was captured:\n%s", want, argv)
		}
	}

	for what, secret := range secrets {
		for i := 0; ; {
			j := strings.Index(seen.String()[i:], secret)
			if j < 0 {
				break
			}
			at := i + j
			where := seen.String()[:at]
			where = where[strings.LastIndex(where, "\n=== ")+5:]
			where = where[:strings.Index(where, "\n")]
			t.Errorf("the %s leaked into %s: …%s…", what, where, around(seen.String(), at, len(secret)))
			i = at + len(secret)
		}
	}
	if t.Failed() {
		t.Logf("every byte seen:\n%s", seen.String())
	}
}

// around is up to 80 bytes either side of s[at:at+n], on one line.
func around(s string, at, n int) string {
	from, to := max(at-80, 0), min(at+n+80, len(s))
	return strings.ReplaceAll(s[from:to], "\n", "⏎")
}

func readTrimmed(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func writeExecutable(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

// streamEvents records the raw bytes of the service's event stream until
// the test ends, from the moment the service answered the subscription.
func streamEvents(t *testing.T, sock string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", "http://lockwatch/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ipc.HTTPClient(sock).Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/events: %v %v", resp, err)
	}
	var buf syncBuffer
	done := make(chan struct{})
	go func() { defer close(done); _, _ = io.Copy(&buf, resp.Body) }()
	t.Cleanup(func() { cancel(); <-done; resp.Body.Close() })
	return &buf
}
