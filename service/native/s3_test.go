package native

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

func TestParseS3(t *testing.T) {
	// restic's forms (internal/backend/s3/config_test.go), and the errors.
	for _, c := range []struct {
		in   string
		want s3Location
	}{
		{"s3://eu-central-1/bucketname", s3Location{Endpoint: "eu-central-1", Bucket: "bucketname"}},
		{"s3://eu-central-1/bucketname/", s3Location{Endpoint: "eu-central-1", Bucket: "bucketname"}},
		{"s3://eu-central-1/bucketname/prefix/directory", s3Location{Endpoint: "eu-central-1", Bucket: "bucketname", Prefix: "prefix/directory"}},
		{"s3:eu-central-1/foobar", s3Location{Endpoint: "eu-central-1", Bucket: "foobar"}},
		{"s3:s3.amazonaws.com/bucket/prefix/dir/", s3Location{Endpoint: "s3.amazonaws.com", Bucket: "bucket", Prefix: "prefix/dir"}},
		{"s3:https://hostname:9999/foobar", s3Location{Endpoint: "hostname:9999", Bucket: "foobar"}},
		{"s3:https://hostname/foobar/prefix/directory", s3Location{Endpoint: "hostname", Bucket: "foobar", Prefix: "prefix/directory"}},
		{"s3:http://hostname:9999/foobar/", s3Location{Endpoint: "hostname:9999", Bucket: "foobar", UseHTTP: true}},
		{"s3:http://127.0.0.1:9000/bucket/a//b/../c", s3Location{Endpoint: "127.0.0.1:9000", Bucket: "bucket", Prefix: "a/c", UseHTTP: true}},
	} {
		got, err := parseS3(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseS3(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"s3:", "s3://", "s3:host", "s3:https://host", "s3:https://host/", "sftp:x:/y"} {
		if got, err := parseS3(bad); err == nil {
			t.Errorf("parseS3(%q) = %+v, want an error", bad, got)
		}
	}
	if got := redactS3("s3:https://key:secret@host/bucket"); strings.Contains(got, "secret") {
		t.Errorf("redactS3 kept the secret: %s", got)
	}
}

func TestS3Credentials(t *testing.T) {
	// Half a key pair is an error, as in restic, whichever half is missing.
	for _, env := range [][]string{
		{"AWS_ACCESS_KEY_ID=id", "AWS_SECRET_ACCESS_KEY="},
		{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=secret"},
	} {
		if _, err := s3Credentials(env); err == nil {
			t.Errorf("%v: no error", env)
		}
	}
	// The repository's env wins over the process's.
	t.Setenv("AWS_ACCESS_KEY_ID", "process-id")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "process-secret")
	creds, err := s3Credentials([]string{"AWS_ACCESS_KEY_ID=repo-id", "AWS_SECRET_ACCESS_KEY=repo-secret", "AWS_SESSION_TOKEN=tok"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := creds.Get()
	if err != nil || v.AccessKeyID != "repo-id" || v.SecretAccessKey != "repo-secret" || v.SessionToken != "tok" {
		t.Errorf("credentials %+v, %v", v, err)
	}
	// A shared credentials file under AWS_PROFILE, with HOME from the env.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	home := t.TempDir()
	btWrite(t, home+"/.aws/credentials", "[default]\naws_access_key_id = d\naws_secret_access_key = ds\n[work]\naws_access_key_id = w\naws_secret_access_key = ws\n")
	creds, err = s3Credentials([]string{"HOME=" + home, "AWS_PROFILE=work"})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := creds.Get(); err != nil || v.AccessKeyID != "w" || v.SecretAccessKey != "ws" {
		t.Errorf("profile credentials %+v, %v", v, err)
	}
}

// TestS3Backend reads and removes locks that restic wrote into a real S3
// server (gofakes3), and checks the result against restic itself.
func TestS3Backend(t *testing.T) {
	r := demotest.S3Repo(t)
	live := demotest.HoldS3(t, r, demo.Options{})
	dead := demotest.OrphanS3(t, r)
	ctx := context.Background()
	be, err := OpenS3(ctx, r.Location, r.Env)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if be.Location() != r.Location {
		t.Errorf("Location() = %q, want %q", be.Location(), r.Location)
	}
	checkNativeOpen(t, r, live.PID, live.LockID)
	checkBackendAgainstRestic(t, be, r, live.LockID, dead.LockID)
}

// TestS3MissingBucket: a bucket that is not there is an error, not an
// empty repository.
func TestS3MissingBucket(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	be, err := OpenS3(context.Background(), "s3:"+srv.URL+"/nobucket/repo", []string{"AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b"})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if list, err := be.List(context.Background(), "locks"); err == nil {
		t.Errorf("List in a missing bucket = %v, want an error", list)
	} else {
		t.Logf("missing bucket: %v", err)
	}
}
