package api

import "net/http"

// registerSettings adds the settings endpoints (placeholder).
func registerSettings(mux *http.ServeMux, s *server) {}
