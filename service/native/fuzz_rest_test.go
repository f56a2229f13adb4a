package native

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// FuzzRESTList feeds whatever a REST server may answer through the real
// REST backend: the body of a listing, in API v2 (names and sizes) or v1
// (names), and the body of a file. The server is an httptest server that
// answers the fuzzer's bytes: a deliberate fake, as no real server answers
// arbitrary bytes. The backend must never panic, never hand back more
// than its bounds, and take only well-formed JSON for a listing.
func FuzzRESTList(f *testing.F) {
	id := strings.Repeat("0123456789abcdef", 4)
	f.Add([]byte(`[{"name":"`+id+`","size":161}]`), true)
	f.Add([]byte(`[]`), true)
	f.Add([]byte(`["`+id+`"]`+"\n"), false)
	f.Add([]byte(`[]`), false)
	f.Add([]byte(`null`), false)
	f.Add([]byte(`{"name":"x"}`), true)
	f.Add([]byte(`[{"name":"`+id+`","size":-1e99}]`), true)
	f.Add([]byte(`[{"name":"../config","size":"1"}`), true)

	var mu sync.Mutex
	var body []byte
	var v2 bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		b, isV2 := body, v2
		mu.Unlock()
		if isV2 {
			w.Header().Set("Content-Type", restV2)
		}
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	be, err := OpenREST(context.Background(), srv.URL+"/repo/", nil)
	if err != nil {
		f.Fatal(err)
	}
	defer be.Close()

	f.Fuzz(func(t *testing.T, data []byte, asV2 bool) {
		mu.Lock()
		body, v2 = data, asV2
		mu.Unlock()
		ctx := context.Background()

		files, err := be.List(ctx, "locks")
		switch {
		case err == nil && !json.Valid(bytes.TrimSpace(data)):
			t.Fatalf("listing %q accepted: %v", data, files)
		case err != nil && err.Error() == "":
			t.Fatal("an error without a message")
		case len(files) > maxListing:
			t.Fatalf("%d files listed, more than the bound", len(files))
		}
		for _, fi := range files {
			if !asV2 && fi.Size != -1 {
				t.Fatalf("a v1 listing gave a size: %+v", fi)
			}
		}

		got, err := be.Read(ctx, "locks/"+id)
		var tooLarge *tooLargeError
		switch {
		case err == nil && !bytes.Equal(got, data):
			t.Fatalf("read %q, served %q", got, data)
		case len(data) > maxSmallFile && !errors.As(err, &tooLarge):
			t.Fatalf("a %d-byte lock read without the bound: %v", len(data), err)
		case err != nil && len(data) <= maxSmallFile:
			t.Fatalf("a %d-byte lock refused: %v", len(data), err)
		}
	})
}

// A listing body within its 20 MiB but of millions of tiny entries is
// decoded no further than one entry past maxListing: the caller refuses it
// then, before millions of FileInfos were made.
func TestRESTListingStopsPastItsBound(t *testing.T) {
	body := []byte("[" + strings.Repeat(`"",`, 3*maxListing) + `""]`)
	if len(body) > maxListingBytes {
		t.Fatalf("test body is %d bytes, over the %d a listing may be", len(body), maxListingBytes)
	}
	for _, v2 := range []bool{false, true} {
		b := body
		if v2 {
			b = []byte("[" + strings.Repeat(`{},`, 3*maxListing) + `{}]`)
		}
		files, err := parseRESTListing(b, v2)
		if err != nil || len(files) != maxListing+1 {
			t.Errorf("v2=%v: decoded %d entries (%v); want %d, one past the bound", v2, len(files), err, maxListing+1)
		}
	}
}
