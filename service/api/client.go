package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/store"
)

// Client talks to a running service.
type Client struct {
	HTTP *http.Client // whose transport dials the service's socket
}

// Error is an error the service answered with.
type Error struct {
	Code    int
	Message string
	Refusal *lock.Why // an unlock's refusal (check.RefusedError.Refusal)
}

func (e *Error) Error() string { return e.Message }

// Status is every repository's latest status.
func (c *Client) Status(ctx context.Context) (check.Status, error) {
	var st check.Status
	return st, c.do(ctx, http.MethodGet, "/v1/status", nil, &st)
}

// Check checks one repository now.
func (c *Client) Check(ctx context.Context, repo string) (check.RepoStatus, error) {
	var st check.RepoStatus
	return st, c.do(ctx, http.MethodPost, "/v1/repos/"+url.PathEscape(repo)+"/check", struct{}{}, &st)
}

// Unlock removes locks as req says.
func (c *Client) Unlock(ctx context.Context, repo string, req UnlockRequest) (check.UnlockResult, error) {
	var res check.UnlockResult
	return res, c.do(ctx, http.MethodPost, "/v1/repos/"+url.PathEscape(repo)+"/unlock", req, &res)
}

// SetAutoUnlock changes a repository's auto-unlock level (and its config file).
func (c *Client) SetAutoUnlock(ctx context.Context, repo string, level config.AutoUnlock) (check.RepoStatus, error) {
	var st check.RepoStatus
	return st, c.do(ctx, http.MethodPut, "/v1/repos/"+url.PathEscape(repo)+"/auto-unlock", AutoUnlockRequest{level}, &st)
}

// RunFinished tells the service that `lockwatch run` recorded a run of repo.
func (c *Client) RunFinished(ctx context.Context, repo string) error {
	var out struct{}
	return c.do(ctx, http.MethodPost, "/v1/repos/"+url.PathEscape(repo)+"/run-finished", struct{}{}, &out)
}

// History reads the audit trail and state changes, newest first.
func (c *Client) History(ctx context.Context, repo string, limit int) ([]store.Event, error) {
	q := url.Values{}
	if repo != "" {
		q.Set("repo", repo)
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	var res HistoryResponse
	return res.Events, c.do(ctx, http.MethodGet, "/v1/history?"+q.Encode(), nil, &res)
}

// Events calls fn for every event the service sends until ctx ends or the
// connection breaks.
func (c *Client) Events(ctx context.Context, fn func(daemon.Event)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://lockwatch/v1/events", nil)
	if err != nil {
		return err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev daemon.Event
		if err := json.Unmarshal([]byte(data), &ev); err == nil {
			fn(ev)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://lockwatch"+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readError(resp)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func readError(resp *http.Response) error {
	var e ErrorResponse
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &e) != nil || e.Error == "" {
		e.Error = fmt.Sprintf("lockwatch service answered %s", resp.Status)
	}
	return &Error{Code: resp.StatusCode, Message: e.Error, Refusal: e.Refusal}
}
