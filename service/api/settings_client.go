package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
)

// SettingsBackend is what the settings window needs from a service: the
// one in this process (Local) or the one on the socket (*Client). Invalid
// input comes back as config.FieldErrors with a nil error; the error is
// for everything else (no service, a broken config file, a failed save).
type SettingsBackend interface {
	Config(ctx context.Context) (config.ConfigView, error)
	AddRepo(ctx context.Context, in config.RepoInput) (config.ConfigView, config.FieldErrors, error)
	PutRepo(ctx context.Context, oldName string, in config.RepoInput) (config.ConfigView, config.FieldErrors, error)
	DeleteRepo(ctx context.Context, name string) error
	// TestRepo checks the repository as typed, without saving; oldName is
	// the repository edited ("" for a new one). A check that fails is a
	// RepoStatus with State error and a plain-language Error.
	TestRepo(ctx context.Context, oldName string, in config.RepoInput) (check.RepoStatus, config.FieldErrors, error)
	SetNotifications(ctx context.Context, on bool) error
	// SetLanguage sets the app's language ("auto", "en", "zh-Hans", "ja").
	SetLanguage(ctx context.Context, language string) error
}

var (
	_ SettingsBackend = (*Client)(nil)
	_ SettingsBackend = Local{}
)

// Config is the config as the settings may show it (no secrets).
func (c *Client) Config(ctx context.Context) (config.ConfigView, error) {
	var v config.ConfigView
	return v, c.do(ctx, http.MethodGet, "/v1/config", nil, &v)
}

// AddRepo adds a repository to the config file.
func (c *Client) AddRepo(ctx context.Context, in config.RepoInput) (config.ConfigView, config.FieldErrors, error) {
	var v config.ConfigView
	fields, err := c.doFields(ctx, http.MethodPost, "/v1/repos", in, &v)
	return v, fields, err
}

// PutRepo changes (or renames) the repository oldName.
func (c *Client) PutRepo(ctx context.Context, oldName string, in config.RepoInput) (config.ConfigView, config.FieldErrors, error) {
	if oldName == "" {
		return config.ConfigView{}, nil, errNoOldName
	}
	var v config.ConfigView
	fields, err := c.doFields(ctx, http.MethodPut, "/v1/repos/"+url.PathEscape(oldName)+"/config", in, &v)
	return v, fields, err
}

// DeleteRepo removes a repository from the config file.
func (c *Client) DeleteRepo(ctx context.Context, name string) error {
	var v config.ConfigView
	return c.do(ctx, http.MethodDelete, "/v1/repos/"+url.PathEscape(name), nil, &v)
}

// TestRepo checks a repository as typed, without saving it.
func (c *Client) TestRepo(ctx context.Context, oldName string, in config.RepoInput) (check.RepoStatus, config.FieldErrors, error) {
	var st check.RepoStatus
	fields, err := c.doFields(ctx, http.MethodPost, "/v1/test", TestRequest{OldName: oldName, Repo: in}, &st)
	return st, fields, err
}

// SetNotifications turns the tray's notifications on or off.
func (c *Client) SetNotifications(ctx context.Context, on bool) error {
	var v config.ConfigView
	return c.do(ctx, http.MethodPut, "/v1/settings", SettingsRequest{Notifications: &on}, &v)
}

// SetLanguage sets the app's language.
func (c *Client) SetLanguage(ctx context.Context, language string) error {
	var v config.ConfigView
	return c.do(ctx, http.MethodPut, "/v1/settings", SettingsRequest{Language: &language}, &v)
}

// errNoOldName guards PutRepo: to the daemon "" means "add", so an empty
// name here would quietly add a second repository instead of changing one.
var errNoOldName = errors.New("which repository to change? (the name is empty; use AddRepo to add one)")

// doFields is do for requests whose 400 answer may list field errors.
func (c *Client) doFields(ctx context.Context, method, path string, body, out any) (config.FieldErrors, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://lockwatch"+path, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return nil, json.NewDecoder(resp.Body).Decode(out)
	case http.StatusBadRequest:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var fe FieldErrorResponse
		if json.Unmarshal(msg, &fe) == nil && len(fe.Fields) > 0 {
			return fe.Fields, nil
		}
		if fe.Error == "" {
			fe.Error = fmt.Sprintf("lockwatch service answered %s", resp.Status)
		}
		return nil, &Error{Code: resp.StatusCode, Message: fe.Error}
	}
	return nil, readError(resp)
}

// The same for the service running in this process.

func (l Local) Config(ctx context.Context) (config.ConfigView, error) {
	return l.Daemon.Config(), nil
}

func (l Local) AddRepo(ctx context.Context, in config.RepoInput) (config.ConfigView, config.FieldErrors, error) {
	return l.Daemon.PutRepo("", in)
}

func (l Local) PutRepo(ctx context.Context, oldName string, in config.RepoInput) (config.ConfigView, config.FieldErrors, error) {
	if oldName == "" {
		return config.ConfigView{}, nil, errNoOldName
	}
	return l.Daemon.PutRepo(oldName, in)
}

func (l Local) DeleteRepo(ctx context.Context, name string) error {
	return l.Daemon.DeleteRepo(name)
}

func (l Local) TestRepo(ctx context.Context, oldName string, in config.RepoInput) (check.RepoStatus, config.FieldErrors, error) {
	st, fields := l.Daemon.TestRepo(ctx, oldName, in)
	return st, fields, nil
}

func (l Local) SetLanguage(ctx context.Context, language string) error {
	return l.Daemon.SetLanguage(language)
}

func (l Local) SetNotifications(ctx context.Context, on bool) error {
	return l.Daemon.SetNotifications(on)
}
