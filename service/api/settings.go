package api

import (
	"errors"
	"net/http"

	"github.com/lockwatch/lockwatch/service/config"
)

// The settings endpoints:
//
//	GET    /v1/config               the config as the settings may show it (config.ConfigView)
//	POST   /v1/repos                add a repository (body config.RepoInput)
//	PUT    /v1/repos/{name}/config  change (or rename) one (body config.RepoInput)
//	DELETE /v1/repos/{name}         remove one
//	POST   /v1/test                 check a repository as typed, without saving (TestRequest)
//	PUT    /v1/settings             app-wide settings (SettingsRequest)
//
// Secrets only travel inward: a typed password, new env values and a new
// password command arrive in request bodies; no answer ever holds one.
// Invalid input is answered 400 with FieldErrorResponse.
func registerSettings(mux *http.ServeMux, s *server) {
	mux.HandleFunc("GET /v1/config", s.config)
	mux.HandleFunc("POST /v1/repos", s.addRepo)
	mux.HandleFunc("PUT /v1/repos/{name}/config", s.putRepo)
	mux.HandleFunc("DELETE /v1/repos/{name}", s.deleteRepo)
	mux.HandleFunc("POST /v1/test", s.testRepo)
	mux.HandleFunc("PUT /v1/settings", s.putSettings)
}

// TestRequest is the body of POST /v1/test: the form's repository, and the
// one it edits ("" for a new one), whose stored secrets fill in the masked
// values.
type TestRequest struct {
	OldName string           `json:"old_name,omitempty"`
	Repo    config.RepoInput `json:"repo"`
}

// SettingsRequest is the body of PUT /v1/settings; absent fields stay.
type SettingsRequest struct {
	Notifications *bool   `json:"notifications,omitempty"`
	Language      *string `json:"language,omitempty"`
}

// FieldErrorResponse is the body of a 400 answer to invalid settings: a
// summary, and each problem keyed by its form field.
type FieldErrorResponse struct {
	Error  string             `json:"error"`
	Fields config.FieldErrors `json:"fields"`
}

func writeFields(w http.ResponseWriter, fields config.FieldErrors) {
	writeJSON(w, http.StatusBadRequest, FieldErrorResponse{Error: "invalid settings: " + fields.String(), Fields: fields})
}

func (s *server) config(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.d.Config())
}

func (s *server) addRepo(w http.ResponseWriter, r *http.Request) {
	s.saveRepo(w, r, "")
}

func (s *server) putRepo(w http.ResponseWriter, r *http.Request) {
	s.saveRepo(w, r, r.PathValue("name"))
}

func (s *server) saveRepo(w http.ResponseWriter, r *http.Request, oldName string) {
	var in config.RepoInput
	if !readJSON(w, r, &in) {
		return
	}
	view, fields, err := s.d.PutRepo(oldName, in)
	switch {
	case err != nil:
		writeError(w, statusFor(err), err)
	case len(fields) > 0:
		writeFields(w, fields)
	default:
		writeJSON(w, http.StatusOK, view)
	}
}

func (s *server) deleteRepo(w http.ResponseWriter, r *http.Request) {
	if err := s.d.DeleteRepo(r.PathValue("name")); err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, s.d.Config())
}

// testRepo answers 200 with the check's outcome, also when the check
// failed: that failure (wrong password, unreachable host) is the answer.
func (s *server) testRepo(w http.ResponseWriter, r *http.Request) {
	var req TestRequest
	if !readJSON(w, r, &req) {
		return
	}
	st, fields := s.d.TestRepo(r.Context(), req.OldName, req.Repo)
	if len(fields) > 0 {
		writeFields(w, fields)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *server) putSettings(w http.ResponseWriter, r *http.Request) {
	var req SettingsRequest
	if !readJSON(w, r, &req) {
		return
	}
	if req.Notifications == nil && req.Language == nil {
		writeError(w, http.StatusBadRequest, errors.New(`nothing to change; send {"notifications": true} or false, or {"language": "auto"}`))
		return
	}
	if req.Notifications != nil {
		if err := s.d.SetNotifications(*req.Notifications); err != nil {
			writeError(w, statusFor(err), err)
			return
		}
	}
	if req.Language != nil {
		if err := s.d.SetLanguage(*req.Language); err != nil {
			writeError(w, statusFor(err), err)
			return
		}
	}
	writeJSON(w, http.StatusOK, s.d.Config())
}
