package native

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3Location is a repository string split as restic splits it.
type s3Location struct {
	Endpoint string // host[:port], or an AWS region name as restic allows
	UseHTTP  bool   // only for s3:http://...; everything else is https
	Bucket   string
	Prefix   string // path.Clean'ed, "" for the bucket's root
}

// parseS3 follows restic's s3 ParseConfig (internal/backend/s3/config.go):
//
//	s3:https://host[:port]/bucket[/prefix]   s3:http://host[:port]/bucket[/prefix]
//	s3:host/bucket[/prefix]                  s3://host/bucket[/prefix]
//
// The forms without a scheme use https.
func parseS3(repository string) (s3Location, error) {
	var loc s3Location
	switch {
	case strings.HasPrefix(repository, "s3:http"):
		u, err := url.Parse(repository[len("s3:"):])
		if err != nil {
			return loc, fmt.Errorf("s3: %w", err)
		}
		if u.Path == "" {
			return loc, errors.New("s3: bucket name not found")
		}
		loc.Endpoint = u.Host
		loc.UseHTTP = u.Scheme == "http"
		loc.Bucket, loc.Prefix, _ = strings.Cut(u.Path[1:], "/")
	case strings.HasPrefix(repository, "s3:"):
		// The first element is the endpoint, then bucket and prefix.
		rest := strings.TrimPrefix(repository[len("s3:"):], "//")
		var bucketPrefix string
		loc.Endpoint, bucketPrefix, _ = strings.Cut(rest, "/")
		loc.Bucket, loc.Prefix, _ = strings.Cut(bucketPrefix, "/")
	default:
		return loc, errors.New("s3: invalid format")
	}
	if loc.Endpoint == "" {
		return loc, errors.New("s3: invalid format, host/region or bucket name not found")
	}
	if loc.Bucket == "" {
		// restic accepts this string and fails on first use; say it now.
		return loc, errors.New("s3: bucket name not found")
	}
	if loc.Prefix != "" {
		loc.Prefix = path.Clean(loc.Prefix)
	}
	return loc, nil
}

// s3Credentials chains the sources restic reads, from the repository's
// environment first and then the process's:
//   - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
//   - MINIO_ROOT_USER/MINIO_ROOT_PASSWORD or MINIO_ACCESS_KEY/MINIO_SECRET_KEY;
//   - the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
//     ~/.aws/credentials) under AWS_PROFILE (else "default").
//
// With none of these, requests are anonymous, as restic's are. restic's
// chain also ends with ~/.mc/config.json and the EC2 instance metadata
// service; the latter is an HTTP request to a link-local address that a
// laptop should not make every check, so both are left to the restic CLI
// driver (reader = "restic").
func s3Credentials(env []string) (*credentials.Credentials, error) {
	id := backendGetenv(env, "AWS_ACCESS_KEY_ID")
	secret := backendGetenv(env, "AWS_SECRET_ACCESS_KEY")
	// restic refuses half a key pair rather than silently going anonymous.
	if id == "" && secret != "" {
		return nil, errors.New("s3: key ID ($AWS_ACCESS_KEY_ID) is empty")
	}
	if id != "" && secret == "" {
		return nil, errors.New("s3: secret ($AWS_SECRET_ACCESS_KEY) is empty")
	}
	static := func(id, secret, token string) credentials.Provider {
		return &credentials.Static{Value: credentials.Value{
			AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, SignerType: credentials.SignatureV4,
		}}
	}
	minioUser, minioSecret := backendGetenv(env, "MINIO_ROOT_USER"), backendGetenv(env, "MINIO_ROOT_PASSWORD")
	if minioUser == "" {
		minioUser, minioSecret = backendGetenv(env, "MINIO_ACCESS_KEY"), backendGetenv(env, "MINIO_SECRET_KEY")
	}
	file := backendGetenv(env, "AWS_SHARED_CREDENTIALS_FILE")
	if file == "" {
		if home := backendGetenv(env, "HOME"); home != "" {
			file = filepath.Join(home, ".aws", "credentials")
		}
	}
	profile := backendGetenv(env, "AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	// A provider with empty keys is passed over by the chain.
	providers := []credentials.Provider{
		static(id, secret, backendGetenv(env, "AWS_SESSION_TOKEN")),
		static(minioUser, minioSecret, ""),
	}
	if file != "" {
		providers = append(providers, &credentials.FileAWSCredentials{Filename: file, Profile: profile})
	}
	return credentials.NewChainCredentials(providers), nil
}

// s3Backend reads a repository in an S3 bucket.
type s3Backend struct {
	client    *minio.Client
	transport *http.Transport
	loc       s3Location
	location  string
}

// OpenS3 opens an s3: repository with github.com/minio/minio-go/v7,
// the client restic uses: credentials as restic reads them (see
// s3Credentials), the region from AWS_DEFAULT_REGION (else asked of the
// server), and minio's automatic choice of path-style or virtual-hosted
// requests (restic's default s3.bucket-lookup=auto; path style for IP
// addresses and most non-AWS servers). It makes no request until used.
func OpenS3(ctx context.Context, repository string, env []string) (Backend, error) {
	loc, err := parseS3(repository)
	if err != nil {
		return nil, err
	}
	creds, err := s3Credentials(env)
	if err != nil {
		return nil, err
	}
	tr, err := minio.DefaultTransport(!loc.UseHTTP)
	if err != nil {
		return nil, err
	}
	// Fail a dead endpoint as fast as an sftp one (minio waits 30 s).
	tr.DialContext = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	client, err := minio.New(loc.Endpoint, &minio.Options{
		Creds:        creds,
		Secure:       !loc.UseHTTP,
		Region:       backendGetenv(env, "AWS_DEFAULT_REGION"),
		BucketLookup: minio.BucketLookupAuto,
		Transport:    tr,
		// minio retries 10 times with growing pauses; a check that runs
		// again in a minute is better served by an early, clear error.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return &s3Backend{client: client, transport: tr, loc: loc, location: redactS3(repository)}, nil
}

// redactS3 hides user info in a URL-form string. restic takes credentials
// only from the environment, but a user may have typed them into the URL.
func redactS3(repository string) string {
	if strings.HasPrefix(repository, "s3:http") {
		if u, err := url.Parse(repository[len("s3:"):]); err == nil && u.User != nil {
			u.User = nil
			return "s3:" + u.String()
		}
	}
	return repository
}

// key is the object name of a repository file, as restic's default layout
// puts it: prefix/name, or name alone at the bucket's root.
func (b *s3Backend) key(name string) string {
	if b.loc.Prefix == "" {
		return name
	}
	return b.loc.Prefix + "/" + name
}

func isNoSuchKey(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == minio.NoSuchKey || code == "NotFound"
}

// List implements Backend: one non-recursive listing of prefix/dir/.
func (b *s3Backend) List(ctx context.Context, dir string) ([]FileInfo, error) {
	prefix := b.key(dir) + "/"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio's listing goroutine if we return early
	var out []FileInfo
	for obj := range b.client.ListObjects(ctx, b.loc.Bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("s3: listing %s in bucket %s: %w", prefix, b.loc.Bucket, obj.Err)
		}
		name := strings.TrimPrefix(obj.Key, prefix)
		// Skip the "directory" itself and common prefixes (sub-"directories").
		if name == "" || strings.HasSuffix(name, "/") {
			continue
		}
		if len(out) == maxListing {
			return nil, fmt.Errorf("s3: %w", errListingTooLarge(dir, maxListingText))
		}
		out = append(out, FileInfo{Name: name, Size: obj.Size})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Read implements Backend. It makes one GET with minio's Core, which
// hands back the body as it comes: the size in the answer's headers is
// checked before any of the body is read, and an oversized or cut body is
// closed unread (minio's Object would drain it at the server's pace).
func (b *s3Backend) Read(ctx context.Context, name string) ([]byte, error) {
	key := b.key(name)
	body, info, _, err := minio.Core{Client: b.client}.GetObject(ctx, b.loc.Bucket, key, minio.GetObjectOptions{})
	if isNoSuchKey(err) {
		return nil, fmt.Errorf("s3: %s: %w", key, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("s3: reading %s: %w", key, err)
	}
	defer body.Close()
	if err := checkSize(name, info.Size); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	data, err := readBounded(body, name)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return data, nil
}

// Remove implements Backend. S3 answers a DELETE of a missing object with
// success, so a HEAD first tells "already gone" apart.
func (b *s3Backend) Remove(ctx context.Context, name string) error {
	key := b.key(name)
	if _, err := b.client.StatObject(ctx, b.loc.Bucket, key, minio.StatObjectOptions{}); err != nil {
		if isNoSuchKey(err) {
			return fmt.Errorf("s3: %s: %w", key, ErrNotExist)
		}
		return fmt.Errorf("s3: %s: %w", key, err)
	}
	if err := b.client.RemoveObject(ctx, b.loc.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("s3: removing %s: %w", key, err)
	}
	return nil
}

// Location implements Backend.
func (b *s3Backend) Location() string { return b.location }

// Close implements Backend.
func (b *s3Backend) Close() error {
	b.transport.CloseIdleConnections()
	return nil
}
