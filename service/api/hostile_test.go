package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/platform/ipc"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// These tests speak raw HTTP to the real service: NewServer, Listen and Run
// on the user's socket, as `lockwatch service run` does, so that the
// http.Server's own settings are under test too, not just the handler.

// realService runs the API on its socket with a config holding one
// repository "nas", and returns the socket and the config's path.
func realService(t *testing.T) (sock, cfgPath string) {
	t.Helper()
	repo := demotest.LocalRepo(t)
	base := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(base, "state"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(base, "run"))
	if err := os.MkdirAll(filepath.Join(base, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(base, "config.toml")
	cfg := fmt.Sprintf("[defaults]\nrestic = %q\n[[repo]]\nname = \"nas\"\nrepository = %q\npassword_file = %q\n", repo.Restic, repo.Location, repo.PasswordFile)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(cfgPath, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		s.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	go func() { defer close(ended); _ = s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ended })
	return s.Socket, cfgPath
}

// rawRequest sends the request line and headers exactly as written (no
// client cleans the path on the way) and returns the answer.
func rawRequest(t *testing.T, sock, method, target, reqBody string) (code int, location, body string) {
	t.Helper()
	conn, err := ipc.Dial(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: lockwatch\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", method, target, len(reqBody), reqBody)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// A repository name that tries to leave its place in the path, raw or
// percent-encoded, names no repository: the answer is 404 and nothing is
// touched.
func TestPathTraversalInRepoNames(t *testing.T) {
	sock, cfgPath := realService(t)
	cfgBefore, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// The control: the real name works on this server.
	if code, _, body := rawRequest(t, sock, "POST", "/v1/repos/nas/check", "{}"); code != http.StatusOK || !strings.Contains(body, `"name": "nas"`) {
		t.Fatalf("POST /v1/repos/nas/check: %d %s", code, body)
	}

	names := []string{
		"%2e%2e", "%2E%2E", ".%2e", "%2e%2e%2f%2e%2e", "..%2f..%2fconfig", "..%2Fnas", "%2e%2e%2fnas",
		"nas%2f..%2f..%2fx", "nas%2f%2e%2e", "..%5cnas", "%252e%252e", "%2fetc%2fpasswd", "%2e", "nas%00",
		"%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
	}
	// Each with a body that is good for a real name.
	routes := []struct{ method, format, body string }{
		{"POST", "/v1/repos/%s/check", ""},
		{"POST", "/v1/repos/%s/unlock", "{}"},
		{"PUT", "/v1/repos/%s/auto-unlock", `{"auto_unlock": "off"}`},
		{"POST", "/v1/repos/%s/run-finished", ""},
		{"PUT", "/v1/repos/%s/config", `{"name": "nas"}`},
		{"DELETE", "/v1/repos/%s", ""},
	}
	for _, route := range routes {
		for _, name := range names {
			target := fmt.Sprintf(route.format, name)
			code, _, body := rawRequest(t, sock, route.method, target, route.body)
			if code != http.StatusNotFound {
				t.Errorf("%s %s: %d %.200s; want 404", route.method, target, code, body)
			}
		}
	}

	// Unencoded dot segments and empty segments are 404s too, not
	// ServeMux's redirects to the cleaned path (which could be another
	// endpoint: the last but two spells /v1/status).
	for _, target := range []string{
		"/v1/repos/../x/check", "/v1/repos/../../x/check", "/v1/repos/nas/../../../etc/passwd",
		"/v1/repos/../repos/../status", "/v1/repos/./nas/check", "/v1/repos//nas/check",
	} {
		if code, location, body := rawRequest(t, sock, "POST", target, "{}"); code != http.StatusNotFound {
			t.Errorf("POST %s: %d %q %.200s; want 404", target, code, location, body)
		}
	}

	if cfgAfter, _ := os.ReadFile(cfgPath); string(cfgAfter) != string(cfgBefore) {
		t.Errorf("the config changed under the traversal attempts:\n%s", cfgAfter)
	}
}

// A 100 MB request body is refused after a small part of it: the answer
// arrives while the client is still sending, and by then the client had
// written only what the server read (at most 64 KiB for a JSON body) plus
// what the socket's buffers hold. Measured in bytes, not time: a server
// that read the whole body before answering would show ~100 MB.
func TestHugeRequestBodiesAreRefusedEarly(t *testing.T) {
	sock, cfgPath := realService(t)
	cfgBefore, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	const total = 100 << 20
	// The socket buffers on both sides hold well under a megabyte
	// (net.core.wmem_max); 8 MiB leaves room for any kernel and is still
	// a twelfth of the body.
	const mostWritten = 8 << 20

	for _, c := range []struct {
		method, target string
		answers        []int // acceptable status codes
	}{
		// The bodies that are read: refused as too large.
		{"POST", "/v1/repos/nas/unlock", []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		{"PUT", "/v1/repos/nas/auto-unlock", []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		{"POST", "/v1/repos", []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		{"PUT", "/v1/repos/nas/config", []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		{"POST", "/v1/test", []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		{"PUT", "/v1/settings", []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		// Endpoints without a body answer without reading it.
		{"POST", "/v1/repos/nas/check", []int{http.StatusOK}},
		{"GET", "/v1/status", []int{http.StatusOK}},
		{"POST", "/v1/nowhere", []int{http.StatusNotFound}},
	} {
		for _, chunked := range []bool{false, true} {
			name := fmt.Sprintf("%s %s chunked=%v", c.method, c.target, chunked)
			code, body, written := sendHugeBody(t, sock, c.method, c.target, total, chunked)
			ok := false
			for _, want := range c.answers {
				ok = ok || code == want
			}
			if !ok {
				t.Errorf("%s: answered %d %.200s; want one of %v", name, code, body, c.answers)
			}
			if code == http.StatusBadRequest && !strings.Contains(body, "too large") {
				t.Errorf("%s: 400 without saying the body is too large: %.200s", name, body)
			}
			if written > mostWritten {
				t.Errorf("%s: the answer came after the client had sent %d of %d bytes; want at most %d", name, written, total, mostWritten)
			}
		}
	}
	if cfgAfter, _ := os.ReadFile(cfgPath); string(cfgAfter) != string(cfgBefore) {
		t.Errorf("the config changed under the huge bodies:\n%s", cfgAfter)
	}
}

// sendHugeBody announces a body of total bytes (by Content-Length, or
// chunked), sends it as fast as the server takes it, and returns the answer
// and how many body bytes the client had written when the answer arrived.
func sendHugeBody(t *testing.T, sock, method, target string, total int64, chunked bool) (code int, body string, writtenAtAnswer int64) {
	t.Helper()
	conn, err := ipc.Dial(context.Background(), sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Minute))
	framing := fmt.Sprintf("Content-Length: %d", total)
	if chunked {
		framing = "Transfer-Encoding: chunked"
	}
	if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: lockwatch\r\nContent-Type: application/json\r\n%s\r\n\r\n", method, target, framing); err != nil {
		t.Fatal(err)
	}

	var written atomic.Int64
	type answer struct {
		code    int
		body    string
		written int64
		err     error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		at := written.Load() // the moment the status line and headers are in
		if err != nil {
			answered <- answer{err: err, written: at}
			return
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		answered <- answer{code: resp.StatusCode, body: string(b), written: at}
	}()

	// A JSON string that never ends: a decoder must read it all to find
	// out it is bad, unless something stops it first.
	chunk := []byte(strings.Repeat("a", 64<<10))
	first := append([]byte(`{"locks": ["`), chunk[len(`{"locks": ["`):]...)
	for sent := int64(0); sent < total; {
		select {
		case a := <-answered:
			answered <- a
			sent = total
			continue
		default:
		}
		p := chunk
		if sent == 0 {
			p = first
		}
		if rest := total - sent; int64(len(p)) > rest {
			p = p[:rest]
		}
		var err error
		if chunked {
			_, err = fmt.Fprintf(conn, "%x\r\n%s\r\n", len(p), p)
		} else {
			_, err = conn.Write(p)
		}
		if err != nil {
			break // the server closed the connection after answering
		}
		sent += int64(len(p))
		written.Store(sent)
	}
	if chunked && written.Load() == total {
		fmt.Fprint(conn, "0\r\n\r\n")
	}
	a := <-answered
	if a.err != nil && !errors.Is(a.err, io.EOF) {
		t.Fatalf("%s %s: no answer: %v (after %d bytes sent)", method, target, a.err, a.written)
	}
	return a.code, a.body, a.written
}
