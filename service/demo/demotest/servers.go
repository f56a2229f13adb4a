package demotest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lockwatch/lockwatch/service/demo"
)

// SFTPHostAlias is the ~/.ssh/config host name of SFTPRepo's server: the
// repository string names the alias, as a user's would, so that both
// restic's ssh and the native reader must resolve it through the config.
const SFTPHostAlias = "lockwatch-sftp-test"

// SFTPRepo makes a repository behind a real OpenSSH server (Debian's
// openssh-server) on 127.0.0.1, reached as sftp:lockwatch-sftp-test:/<dir>/repo.
//
// The server runs as root with a temp config: its own host key, one
// authorized test key, internal-sftp. The client side is a temp HOME with
// .ssh/config (the alias → 127.0.0.1, port, user root, the test key) and
// .ssh/known_hosts holding the server's key; Env carries HOME for restic
// and for the native reader. OpenSSH's ssh takes ~/.ssh from the password
// database, not from HOME, so Env also puts a wrapper `ssh` first in PATH
// that runs the real ssh with -F and UserKnownHostsFile from that HOME.
//
// The repository is on this machine's disk, so LocksDir is set and
// demo.Repo.Hold works as for a local repository.
func SFTPRepo(t testing.TB) *demo.Repo {
	t.Helper()
	sshd := "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Skipf("sftp tests need OpenSSH's server: apt-get install openssh-server (%v)", err)
	}
	RequireRoot(t, "run sshd, which needs root to log users in")
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		t.Skipf("sftp tests need OpenSSH's client (openssh-client): %v", err)
	}
	restic := Restic(t)

	dir := t.TempDir()
	server := filepath.Join(dir, "sshd")
	home := filepath.Join(dir, "home")
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{server, filepath.Join(home, ".ssh"), bin} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// sshd refuses to start without its privilege separation directory,
	// which Debian's service unit makes at boot: not there in a container.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	hostKey := filepath.Join(server, "host_ed25519")
	// The default name: repository strings without the alias find it too.
	userKey := filepath.Join(home, ".ssh", "id_ed25519")
	for _, k := range []string{hostKey, userKey} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lockwatch-test", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	userPub := readFile(t, userKey+".pub")
	hostPub := readFile(t, hostKey+".pub")
	authorized := filepath.Join(server, "authorized_keys")
	writeFile(t, authorized, userPub)

	addr := freeAddr(t)
	port := addr[strings.LastIndex(addr, ":")+1:]
	cfg := filepath.Join(server, "sshd_config")
	writeFile(t, cfg, strings.Join([]string{
		"Port " + port,
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(server, "sshd.pid"),
		"AuthorizedKeysFile " + authorized,
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		// Temp dirs and files are not laid out the way StrictModes wants.
		"StrictModes no",
		"UsePAM no",
		"Subsystem sftp internal-sftp",
		"LogLevel VERBOSE",
		"",
	}, "\n"))

	sshConfig := filepath.Join(home, ".ssh", "config")
	writeFile(t, sshConfig, strings.Join([]string{
		"Host " + SFTPHostAlias,
		"  HostName 127.0.0.1",
		"  Port " + port,
		"  User root",
		"  IdentityFile " + userKey,
		"  IdentitiesOnly yes",
		"",
	}, "\n"))
	knownHosts := filepath.Join(home, ".ssh", "known_hosts")
	writeFile(t, knownHosts, fmt.Sprintf("[127.0.0.1]:%s %s", port, hostPub))

	wrapper := fmt.Sprintf("#!/bin/sh\nexec '%s' -F '%s' -o 'UserKnownHostsFile=%s' -o BatchMode=yes -o StrictHostKeyChecking=yes \"$@\"\n",
		sshBin, sshConfig, knownHosts)
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(sshd, "-f", cfg, "-D", "-e")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	// Sessions inherit the log pipe; one serving a killed restic's ssh can
	// outlive the listener, and Wait must not wait for it.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Only the listener: each session is its own sshd (in its own
		// session group) that ends when its client does.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", logs)
		}
	})
	waitListening(t, addr, logs)

	r := &demo.Repo{
		Restic:       restic,
		Location:     "sftp:" + SFTPHostAlias + ":" + filepath.Join(dir, "repo"),
		LocksDir:     filepath.Join(dir, "repo", "locks"),
		PasswordFile: filepath.Join(dir, "password"),
		Env:          []string{"HOME=" + home, "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")},
	}
	if err := r.Init(context.Background(), 0); err != nil {
		t.Fatalf("%v\nsshd log:\n%s", err, logs)
	}
	return r
}

// S3Bucket is the bucket S3Repo's server holds the repository in.
const S3Bucket = "lockwatch"

// S3Repo makes a repository in a real S3 server on loopback: gofakes3
// (in-memory) served by this test process over HTTP, which restic reaches
// as s3:http://127.0.0.1:PORT/lockwatch/repo with test keys in Env. minio's
// automatic bucket lookup (restic's default) uses path-style requests for
// an IP address, which gofakes3 serves.
//
// The objects live in the server's memory, not on disk, so LocksDir is ""
// and demo.Repo.Hold cannot see a new lock: use HoldS3.
func S3Repo(t testing.TB) *demo.Repo {
	t.Helper()
	restic := Restic(t)
	mem := s3mem.New()
	if err := mem.CreateBucket(S3Bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	r := &demo.Repo{
		Restic:       restic,
		Location:     "s3:" + srv.URL + "/" + S3Bucket + "/repo",
		PasswordFile: filepath.Join(dir, "password"),
		Env: []string{
			"AWS_ACCESS_KEY_ID=lockwatch-test-key",
			"AWS_SECRET_ACCESS_KEY=lockwatch-test-secret",
			// restic's cache goes under HOME: keep it in the test's dir.
			"HOME=" + dir,
		},
	}
	if err := r.Init(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	return r
}

// ResticLocks returns `restic list locks --no-lock`: the IDs of the lock
// files, as restic itself sees them, sorted.
func ResticLocks(t testing.TB, r *demo.Repo) []string {
	t.Helper()
	ids, err := resticLocks(r)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func resticLocks(r *demo.Repo) ([]string, error) {
	var stderr bytes.Buffer
	cmd := r.Command(context.Background(), "list", "locks", "--no-lock")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("restic list locks: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	ids := strings.Fields(string(out))
	sort.Strings(ids)
	return ids, nil
}

// S3Holder is a running restic holding a lock, started by HoldS3.
type S3Holder struct {
	PID    int
	LockID string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan error
}

// HoldS3 is demo.Repo.Hold for repositories whose files are not on this
// machine's disk (S3): it starts the same restic (`backup --stdin`, or
// `key passwd` for an exclusive lock) and finds its new lock by polling
// `restic list locks --no-lock`. It works for any backend. The holder is
// killed when the test ends.
func HoldS3(t testing.TB, r *demo.Repo, opt demo.Options) *S3Holder {
	t.Helper()
	before := map[string]bool{}
	for _, id := range ResticLocks(t, r) {
		before[id] = true
	}
	args := []string{"backup", "--stdin", "--stdin-filename", "demo.txt", "--host", "demo"}
	if opt.Exclusive {
		args = []string{"key", "passwd"}
	}
	cmd := r.Command(context.Background(), args...)
	if opt.Hostname != "" {
		RequireRoot(t, "run restic under another host name")
		env := cmd.Env
		cmd = exec.Command("unshare", append([]string{"--uts", "sh", "-c", `hostname "$0" && exec "$@"`, opt.Hostname, r.Restic}, args...)...)
		cmd.Env = env
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	// A killed restic's ssh child (sftp backend) may keep stderr open.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &S3Holder{PID: cmd.Process.Pid, cmd: cmd, stdin: stdin, exited: make(chan error, 1)}
	go func() { h.exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = h.Kill() })
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		ids, err := resticLocks(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if !before[id] {
				h.LockID = id
				return h
			}
		}
		select {
		case err := <-h.exited:
			h.exited <- err // for Kill
			t.Fatalf("restic %s exited before taking a lock (%v): %s", args[0], err, stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("restic %s took no lock within 60s: %s", args[0], stderr)
	return nil
}

// Kill ends restic with SIGKILL so that its lock stays behind, as after a
// crash. Killing one that has already ended is not an error.
func (h *S3Holder) Kill() error {
	select {
	case err := <-h.exited:
		h.exited <- err
		return nil
	default:
	}
	if err := h.cmd.Process.Kill(); err != nil {
		return err
	}
	err := <-h.exited
	h.exited <- err
	_ = h.stdin.Close()
	return nil
}

// OrphanS3 leaves the lock of a restic killed by its PID (see HoldS3).
func OrphanS3(t testing.TB, r *demo.Repo) *S3Holder {
	t.Helper()
	h := HoldS3(t, r, demo.Options{})
	if err := h.Kill(); err != nil {
		t.Fatal(err)
	}
	return h
}

// syncBuffer collects a process's output, safe to read while it writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func writeFile(t testing.TB, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
