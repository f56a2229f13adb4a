package api

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/daemon/daemontest"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// The keyring here is go-keyring's in-memory mock, standing in for the OS
// keyring: a test must not write into the keyring of whoever runs it
// (TestKeyringWithARealSecretService runs a real Secret Service).

const apiConfig = `[[repo]]
name = "nas"
repository = "rest:https://me:url-s3cr3t@host:8000/repo"
password_command = "echo cmd-s3cr3t"
env = { AWS_SECRET_ACCESS_KEY = "env-s3cr3t" }
`

var apiSecrets = []string{"url-s3cr3t", "cmd-s3cr3t", "env-s3cr3t", "typed-s3cr3t"}

// settingsServer runs the API on a real daemon; the client dials it over
// TCP instead of the socket.
func settingsServer(t *testing.T) (*daemon.Daemon, *Client, *httptest.Server, string) {
	t.Helper()
	d, path := daemontest.New(t, apiConfig) // with a stand-in keyring
	srv := httptest.NewServer(Handler(d))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	c := &Client{HTTP: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		},
	}}}
	return d, c, srv, path
}

// raw sends one request and returns the status and body.
func raw(t *testing.T, srv *httptest.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, s := range apiSecrets {
		if strings.Contains(string(data), s) {
			t.Errorf("%s %s answered with the secret %q:\n%s", method, path, s, data)
		}
	}
	return resp.StatusCode, string(data)
}

func TestSettingsRoutes(t *testing.T) {
	_, _, srv, path := settingsServer(t)

	code, body := raw(t, srv, "GET", "/v1/config", "")
	if code != 200 || !strings.Contains(body, `"password_source": "command"`) || !strings.Contains(body, config.MaskedValue) ||
		!strings.Contains(body, "me:***@host") {
		t.Errorf("GET /v1/config: %d\n%s", code, body)
	}

	code, body = raw(t, srv, "POST", "/v1/repos", `{"name": "laptop", "repository": "/r", "password_keyring": true, "password": "typed-s3cr3t"}`)
	if code != 200 || !strings.Contains(body, `"name": "laptop"`) {
		t.Errorf("POST /v1/repos: %d\n%s", code, body)
	}
	if pw, _ := config.KeyringPassword("laptop"); pw != "typed-s3cr3t" {
		t.Errorf("keyring holds %q", pw)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "typed-s3cr3t") {
		t.Errorf("the typed password is in the config file:\n%s", data)
	}

	code, body = raw(t, srv, "POST", "/v1/repos", `{"name": "nas", "repository": "/r", "password_file": "/p", "check_interval": "soon", "env": {"RESTIC_PASSWORD": "typed-s3cr3t"}}`)
	if code != 400 || !strings.Contains(body, `"fields"`) || !strings.Contains(body, `"check_interval"`) ||
		!strings.Contains(body, `"name"`) || !strings.Contains(body, `"env"`) {
		t.Errorf("invalid POST /v1/repos: %d\n%s", code, body)
	}

	code, body = raw(t, srv, "PUT", "/v1/repos/nas/config", `{"name": "nas", "repository": "rest:https://me:***@host:8000/repo", "env": {"AWS_SECRET_ACCESS_KEY": "`+config.MaskedValue+`"}, "auto_unlock": "stale"}`)
	if code != 200 || !strings.Contains(body, `"auto_unlock": "stale"`) {
		t.Errorf("PUT /v1/repos/nas/config: %d\n%s", code, body)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := cfg.Repo("nas"); r.PasswordCommand != "echo cmd-s3cr3t" || r.Env["AWS_SECRET_ACCESS_KEY"] != "env-s3cr3t" ||
		r.Repository != "rest:https://me:url-s3cr3t@host:8000/repo" {
		t.Errorf("the edit lost a stored secret: %#v", r)
	}

	if code, body = raw(t, srv, "PUT", "/v1/repos/gone/config", `{"name": "gone"}`); code != 404 {
		t.Errorf("PUT of a missing repo: %d %s", code, body)
	}
	if code, body = raw(t, srv, "PUT", "/v1/repos/nas/config", `{"name": "nas", "pasword": "x"}`); code != 400 || !strings.Contains(body, "unknown field") {
		t.Errorf("unknown field: %d %s", code, body)
	}
	if code, body = raw(t, srv, "POST", "/v1/test", `{"repo": {"name": "x", "repository": "/r"}}`); code != 400 || !strings.Contains(body, `"password"`) {
		t.Errorf("POST /v1/test without a password: %d %s", code, body)
	}
	if code, body = raw(t, srv, "PUT", "/v1/settings", `{"notifications": false}`); code != 200 || !strings.Contains(body, `"notifications": false`) {
		t.Errorf("PUT /v1/settings: %d %s", code, body)
	}
	if code, _ = raw(t, srv, "PUT", "/v1/settings", `{}`); code != 400 {
		t.Errorf("empty PUT /v1/settings: %d", code)
	}
	if code, body = raw(t, srv, "DELETE", "/v1/repos/laptop", ""); code != 200 || strings.Contains(body, "laptop") {
		t.Errorf("DELETE: %d %s", code, body)
	}
	if _, err := config.KeyringPassword("laptop"); !errors.Is(err, config.ErrNoKeyringPassword) {
		t.Errorf("keyring entry kept: %v", err)
	}
	if code, _ = raw(t, srv, "DELETE", "/v1/repos/laptop", ""); code != 404 {
		t.Errorf("second DELETE: %d", code)
	}
}

// TestSettingsBackends runs the same steps through the socket client and
// the in-process backend: the tray must not care which one it has.
func TestSettingsBackends(t *testing.T) {
	repo := demotest.LocalRepo(t)
	for _, which := range []string{"client", "local"} {
		t.Run(which, func(t *testing.T) {
			d, c, _, _ := settingsServer(t)
			var b SettingsBackend = c
			if which == "local" {
				b = Local{Daemon: d}
			}
			ctx := context.Background()
			in := config.RepoInput{Name: "local", Repository: repo.Location, PasswordFile: repo.PasswordFile}

			st, fields, err := b.TestRepo(ctx, "", in)
			if err != nil || fields != nil || st.State != check.StateOK {
				t.Errorf("TestRepo: %+v %v %v", st, fields, err)
			}
			st, fields, err = b.TestRepo(ctx, "", config.RepoInput{Name: "local", Repository: repo.Location + "-missing", PasswordFile: repo.PasswordFile})
			if err != nil || fields != nil || st.State != check.StateError || st.Error == "" {
				t.Errorf("TestRepo of a missing repository: %+v %v %v", st, fields, err)
			}
			t.Logf("missing repository: %s", st.Error)

			view, fields, err := b.AddRepo(ctx, in)
			if err != nil || fields != nil || len(view.Repos) != 2 {
				t.Fatalf("AddRepo: %+v %v %v", view, fields, err)
			}
			_, fields, err = b.AddRepo(ctx, in)
			if err != nil || !strings.Contains(fields["name"], "already named") {
				t.Errorf("AddRepo twice: %v %v", fields, err)
			}
			in.Name, in.CheckInterval = "renamed", "2m"
			view, fields, err = b.PutRepo(ctx, "local", in)
			if err != nil || fields != nil {
				t.Fatalf("PutRepo: %v %v", fields, err)
			}
			if r, ok := view.Repo("renamed"); !ok || r.CheckInterval != "2m" {
				t.Errorf("after PutRepo: %+v", view)
			}
			if _, _, err := b.PutRepo(ctx, "", in); err == nil {
				t.Error("PutRepo with no name to change")
			}
			if err := b.SetNotifications(ctx, false); err != nil {
				t.Fatal(err)
			}
			if v, err := b.Config(ctx); err != nil || v.Notifications || len(v.Repos) != 2 {
				t.Errorf("Config: %+v %v", v, err)
			}
			if err := b.DeleteRepo(ctx, "renamed"); err != nil {
				t.Fatal(err)
			}
			err = b.DeleteRepo(ctx, "renamed")
			var apiErr *Error
			if which == "client" && (!errors.As(err, &apiErr) || apiErr.Code != http.StatusNotFound) ||
				which == "local" && !errors.Is(err, daemon.ErrUnknownRepo) {
				t.Errorf("deleting twice: %v", err)
			}
		})
	}
}
