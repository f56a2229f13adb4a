package native

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"golang.org/x/net/http/httpproxy"
)

// REST API v2 (rest-server ≥ 0.9, rclone serve restic): listings carry sizes.
const restV2 = "application/vnd.x.restic.rest.v2"

// restBackend speaks rest-server's HTTP protocol.
type restBackend struct {
	base     *url.URL // ends in '/', without user info
	user     string
	pass     string
	hasAuth  bool
	location string // for messages: the URL with the password replaced
	client   *http.Client
}

// OpenREST opens a "rest:" repository. url is the location with or
// without the "rest:" prefix, e.g. "http://user:pass@host:8000/repo/".
// env is the environment restic would run with (later entries win):
// RESTIC_REST_USERNAME/RESTIC_REST_PASSWORD when the URL has no user,
// RESTIC_CACERT, RESTIC_TLS_CLIENT_CERT and the HTTP(S)_PROXY variables.
func OpenREST(ctx context.Context, rawURL string, env []string) (Backend, error) {
	rawURL = strings.TrimPrefix(rawURL, "rest:")
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the URL, password included.
		return nil, errors.New("rest: the repository URL cannot be parsed")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("rest: unsupported URL scheme %q (want http or https)", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("rest: the repository URL has no host")
	}
	b := &restBackend{}
	if u.User != nil {
		b.user = u.User.Username()
		b.pass, _ = u.User.Password()
		b.hasAuth = true
	} else if name := envValue(env, "RESTIC_REST_USERNAME"); name != "" {
		// restic 0.16+ takes credentials from these when the URL has none.
		b.user, b.pass, b.hasAuth = name, envValue(env, "RESTIC_REST_PASSWORD"), true
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	b.base = u
	b.location = "rest:" + u.String()
	if b.hasAuth {
		// Built by hand: url.UserPassword would escape the stars.
		b.location = "rest:" + u.Scheme + "://" + url.User(b.user).String() + ":***@" + strings.TrimPrefix(u.String(), u.Scheme+"://")
	}
	tr, err := restTransport(env)
	if err != nil {
		return nil, err
	}
	b.client = &http.Client{Transport: tr, Timeout: 5 * time.Minute} // a last resort; contexts bound each call
	return b, nil
}

// restTransport is a plain transport with timeouts, and restic's TLS and
// proxy settings from the repository's environment rather than ours.
func restTransport(env []string) (*http.Transport, error) {
	proxy := (&httpproxy.Config{
		HTTPProxy:  envValue(env, "HTTP_PROXY", "http_proxy"),
		HTTPSProxy: envValue(env, "HTTPS_PROXY", "https_proxy"),
		NoProxy:    envValue(env, "NO_PROXY", "no_proxy"),
	}).ProxyFunc()
	tr := &http.Transport{
		Proxy: func(r *http.Request) (*url.URL, error) { return proxy(r.URL) },
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if files := envValue(env, "RESTIC_CACERT"); files != "" {
		// Like restic: these certificates replace the system's.
		pool := x509.NewCertPool()
		for _, f := range strings.Split(files, ",") {
			pem, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("rest: reading RESTIC_CACERT: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("rest: no certificate in %s (RESTIC_CACERT)", f)
			}
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	if f := envValue(env, "RESTIC_TLS_CLIENT_CERT"); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("rest: reading RESTIC_TLS_CLIENT_CERT: %w", err)
		}
		// restic wants the certificate and its key in the one file.
		cert, err := tls.X509KeyPair(pem, pem)
		if err != nil {
			return nil, fmt.Errorf("rest: RESTIC_TLS_CLIENT_CERT %s: %w", f, err)
		}
		tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	}
	return tr, nil
}

// envValue is the value of the first of names set in env, the last
// setting winning as it does for a process started with env.
func envValue(env []string, names ...string) string {
	for _, name := range names {
		for i := len(env) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(env[i], name+"="); ok && v != "" {
				return v
			}
		}
	}
	return ""
}

func (b *restBackend) url(p string) string {
	ref := &url.URL{Path: p}
	return b.base.ResolveReference(ref).String()
}

func (b *restBackend) do(ctx context.Context, method, p string, accept string) (*http.Response, error) {
	if strings.Contains(p, "..") || strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("invalid repository path %q", p)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.url(p), nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Header.Set("User-Agent", "lockwatch")
	if b.hasAuth {
		req.SetBasicAuth(b.user, b.pass)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		// The request URL carries no user info, so neither does this error.
		return nil, err
	}
	return resp, nil
}

// statusError describes an unexpected HTTP answer.
func (b *restBackend) statusError(method, p string, resp *http.Response) error {
	var hint string
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		hint = " (wrong or missing user name and password for the REST server)"
	case http.StatusForbidden:
		hint = " (the REST server refuses this; --append-only or a private repository?)"
	}
	return fmt.Errorf("rest: %s %s: %s%s", method, p, resp.Status, hint)
}

func (b *restBackend) List(ctx context.Context, dir string) ([]FileInfo, error) {
	p := strings.TrimSuffix(dir, "/") + "/"
	resp, err := b.do(ctx, http.MethodGet, p, restV2)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, nil // a directory nothing was written to yet
	case resp.StatusCode != http.StatusOK:
		return nil, b.statusError(http.MethodGet, p, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxListingBytes+1))
	if err != nil {
		return nil, fmt.Errorf("rest: listing %s: %w", p, err)
	}
	if len(body) > maxListingBytes {
		return nil, fmt.Errorf("rest: %w", errListingTooLarge(dir, humanize.IBytes(maxListingBytes)))
	}
	files, err := parseRESTListing(body, resp.Header.Get("Content-Type") == restV2)
	if err != nil {
		return nil, fmt.Errorf("rest: listing %s: %w", p, err)
	}
	if len(files) > maxListing {
		return nil, fmt.Errorf("rest: %w", errListingTooLarge(dir, maxListingText))
	}
	return files, nil
}

// parseRESTListing decodes a listing's JSON: in API v2 (a server that
// knows it says so in Content-Type) a list of names and sizes, in v1 a
// list of names alone.
func parseRESTListing(body []byte, v2 bool) ([]FileInfo, error) {
	if v2 {
		type entry struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		}
		return decodeListing(body, func(e entry) FileInfo { return FileInfo{Name: e.Name, Size: e.Size} })
	}
	// Size unknown: -1, so that it is not taken for an empty file.
	return decodeListing(body, func(name string) FileInfo { return FileInfo{Name: name, Size: -1} })
}

// decodeListing decodes a JSON array one element at a time and stops after
// maxListing+1 of them (the caller says the listing is too large): 20 MiB
// of `"",` would otherwise become millions of entries before any count.
func decodeListing[T any](body []byte, info func(T) FileInfo) ([]FileInfo, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil // null: nothing listed
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("listing is not a JSON array (starts with %v)", tok)
	}
	var files []FileInfo
	for dec.More() {
		if len(files) > maxListing {
			return files, nil
		}
		var e T
		if err := dec.Decode(&e); err != nil {
			return nil, err
		}
		files = append(files, info(e))
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("listing has data after its JSON array")
	}
	return files, nil
}

func (b *restBackend) Read(ctx context.Context, p string) ([]byte, error) {
	resp, err := b.do(ctx, http.MethodGet, p, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s: %w", p, ErrNotExist)
	case resp.StatusCode != http.StatusOK:
		return nil, b.statusError(http.MethodGet, p, resp)
	}
	if err := checkSize(p, resp.ContentLength); err != nil {
		return nil, fmt.Errorf("rest: %w", err)
	}
	// On an error the body is closed unread: that drops the connection
	// at once, where reading the rest would take as long as the server
	// cares to trickle it.
	data, err := readBounded(resp.Body, p)
	if err != nil {
		return nil, fmt.Errorf("rest: %w", err)
	}
	return data, nil
}

func (b *restBackend) Remove(ctx context.Context, p string) error {
	resp, err := b.do(ctx, http.MethodDelete, p, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s: %w", p, ErrNotExist)
	case resp.StatusCode/100 != 2:
		return b.statusError(http.MethodDelete, p, resp)
	}
	return nil
}

func (b *restBackend) Location() string { return b.location }

func (b *restBackend) Close() error {
	b.client.CloseIdleConnections()
	return nil
}
