// Package api is the service's local HTTP/JSON API, spoken over a socket
// that only the same user can reach; the tray and the CLI are its clients.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/daemon"
	"github.com/lockwatch/lockwatch/service/lock"
	"github.com/lockwatch/lockwatch/service/store"
)

// UnlockRequest is the body of POST /v1/repos/{name}/unlock:
// {} removes the stale locks, {"locks": [...]} the named ones,
// {"all": true, "confirm": true} every lock, {"verdicts": [...]} the
// locks of those verdicts (never live or fresh ones: `lockwatch run`
// asks for its repository's auto_unlock level).
type UnlockRequest struct {
	Locks    []string       `json:"locks,omitempty"`
	Force    bool           `json:"force,omitempty"` // with locks: also live or fresh ones
	All      bool           `json:"all,omitempty"`
	Confirm  bool           `json:"confirm,omitempty"`
	Verdicts []lock.Verdict `json:"verdicts,omitempty"`
	By       string         `json:"by,omitempty"` // who asks, for the audit trail: "tray", "notification", "cli", "run"; default "api"
}

// options checks the request and says what to remove.
func (req UnlockRequest) options() (check.UnlockOptions, error) {
	switch {
	case req.All && !req.Confirm:
		return check.UnlockOptions{}, badRequest{`"all" removes live locks too; send "confirm": true as well`}
	case len(req.Verdicts) > 0 && (req.All || len(req.Locks) > 0):
		return check.UnlockOptions{}, badRequest{`"verdicts" goes alone, without "locks" or "all"`}
	}
	for _, id := range req.Locks {
		if !isIDPrefix(id) {
			shown := id
			if len(shown) > 70 {
				shown = shown[:64] + "…"
			}
			return check.UnlockOptions{}, badRequest{fmt.Sprintf("lock ID %q is not a storage ID or a prefix of one (1 to 64 hex digits)", shown)}
		}
	}
	for _, v := range req.Verdicts {
		if !v.Stale() && v != lock.Unrefreshed {
			return check.UnlockOptions{}, badRequest{fmt.Sprintf(`"verdicts" may name orphaned, expired and unrefreshed, not %q`, v)}
		}
	}
	return check.UnlockOptions{IDs: req.Locks, Force: req.Force, All: req.All, Verdicts: req.Verdicts}, nil
}

// isIDPrefix: 1 to 64 hex digits, as `unlock --lock` takes them.
func isIDPrefix(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range strings.ToLower(s) {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

// badRequest is a request that makes no sense, whoever sends it.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

// AutoUnlockRequest is the body of PUT /v1/repos/{name}/auto-unlock.
type AutoUnlockRequest struct {
	AutoUnlock config.AutoUnlock `json:"auto_unlock"`
}

// HistoryResponse is the answer of GET /v1/history.
type HistoryResponse struct {
	Events []store.Event `json:"events"`
}

// Handler serves the API for d.
func Handler(d *daemon.Daemon) http.Handler {
	s := &server{d: d, local: Local{Daemon: d}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", s.status)
	mux.HandleFunc("POST /v1/repos/{name}/check", s.check)
	mux.HandleFunc("POST /v1/repos/{name}/unlock", s.unlock)
	mux.HandleFunc("PUT /v1/repos/{name}/auto-unlock", s.autoUnlock)
	mux.HandleFunc("POST /v1/repos/{name}/run-finished", s.runFinished)
	mux.HandleFunc("GET /v1/history", s.history)
	mux.HandleFunc("GET /v1/events", s.events)
	registerSettings(mux, s)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A path with dot or empty segments names nothing here. ServeMux
		// would redirect it to its cleaned form, which an API has no use
		// for: a repository name must never walk to another endpoint.
		if r.URL.Path != path.Clean(r.URL.Path) {
			writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint: %s %s", r.Method, r.URL.Path))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// server answers the API with a daemon, through the same Local backend
// the app and the CLI use in-process, so a request means the same either way.
type server struct {
	d     *daemon.Daemon
	local Local
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.d.Status())
}

func (s *server) check(w http.ResponseWriter, r *http.Request) {
	st, err := s.d.CheckNow(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *server) unlock(w http.ResponseWriter, r *http.Request) {
	// An unlock needs an explicit request: an empty or null body is none.
	var req *UnlockRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req == nil {
		writeError(w, http.StatusBadRequest, errors.New(`an unlock needs a request: {} for the stale locks, {"locks": [ID]} for named ones`))
		return
	}
	if req.By == "" {
		req.By = "api"
	}
	res, err := s.local.Unlock(r.Context(), r.PathValue("name"), *req)
	if err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *server) autoUnlock(w http.ResponseWriter, r *http.Request) {
	var req AutoUnlockRequest
	if !readJSON(w, r, &req) {
		return
	}
	switch req.AutoUnlock {
	case config.AutoUnlockOff, config.AutoUnlockStale, config.AutoUnlockUnrefreshed:
	default:
		writeError(w, http.StatusBadRequest, fmt.Errorf(`auto_unlock must be "off", "stale" or "unrefreshed", not %q`, req.AutoUnlock))
		return
	}
	st, err := s.d.SetAutoUnlock(r.PathValue("name"), req.AutoUnlock)
	if err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *server) runFinished(w http.ResponseWriter, r *http.Request) {
	if err := s.d.RunFinished(r.Context(), r.PathValue("name")); err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (s *server) history(w http.ResponseWriter, r *http.Request) {
	q := store.Query{Repo: r.URL.Query().Get("repo")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("limit must be a positive number, not %q", v))
			return
		}
		q.Limit = n
	}
	events, err := s.d.History(q)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if events == nil {
		events = []store.Event{}
	}
	writeJSON(w, http.StatusOK, HistoryResponse{events})
}

// events streams server-sent events until the client goes away.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, errors.New("streaming unsupported"))
		return
	}
	// Subscribe before answering: a client that has the answer hears
	// every event from then on (clients and tests rely on it).
	ch, stop := s.d.Subscribe()
	defer stop()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": lockwatch events\n\n")
	flusher.Flush()
	keepalive := time.NewTicker(30 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			fmt.Fprint(w, ": keepalive\n\n")
		case ev := <-ch:
			data, err := json.Marshal(ev)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data)
		}
		flusher.Flush()
	}
}

// statusFor maps an error to its HTTP status.
func statusFor(err error) int {
	var refused *check.RefusedError
	switch {
	case errors.As(err, new(badRequest)), errors.Is(err, check.ErrAmbiguousLock):
		return http.StatusBadRequest
	case errors.Is(err, check.ErrUnknownRepo), errors.Is(err, check.ErrNoSuchLock):
		return http.StatusNotFound
	case errors.As(err, &refused):
		return http.StatusConflict
	case errors.As(err, new(*config.Error)):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && err.Error() != "EOF" {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad request body: %v", err))
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// ErrorResponse is every error's body.
type ErrorResponse struct {
	Error string `json:"error"`
	// Refusal is an unlock's refusal as a message ID and its facts
	// (check.RefusedError), for the app to say in its user's language.
	Refusal *lock.Why `json:"refusal,omitempty"`
}

func writeError(w http.ResponseWriter, code int, err error) {
	body := ErrorResponse{Error: err.Error()}
	if refused := (*check.RefusedError)(nil); errors.As(err, &refused) && refused.Refusal.ID != "" {
		body.Refusal = &refused.Refusal
	}
	writeJSON(w, code, body)
}
