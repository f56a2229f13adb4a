package native

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/lock"
)

func TestParseSFTP(t *testing.T) {
	// The cases of restic's own config_test.go, and the errors.
	for _, c := range []struct {
		in   string
		want sftpLocation
	}{
		{"sftp://user@host/dir/subdir", sftpLocation{User: "user", Host: "host", Path: "dir/subdir"}},
		{"sftp://host/dir/subdir", sftpLocation{Host: "host", Path: "dir/subdir"}},
		{"sftp://host//dir/subdir", sftpLocation{Host: "host", Path: "/dir/subdir"}},
		{"sftp://host:10022//dir/subdir", sftpLocation{Host: "host", Port: "10022", Path: "/dir/subdir"}},
		{"sftp://user@host:10022//dir/subdir", sftpLocation{User: "user", Host: "host", Port: "10022", Path: "/dir/subdir"}},
		{"sftp://user@host/dir/subdir/../other", sftpLocation{User: "user", Host: "host", Path: "dir/other"}},
		{"sftp://user@host/dir///subdir", sftpLocation{User: "user", Host: "host", Path: "dir/subdir"}},
		{"sftp://user@[::1]/dir", sftpLocation{User: "user", Host: "::1", Path: "dir"}},
		{"sftp://user@[::1]:22/dir", sftpLocation{User: "user", Host: "::1", Port: "22", Path: "dir"}},
		{"sftp:user@host:/dir/subdir", sftpLocation{User: "user", Host: "host", Path: "/dir/subdir"}},
		{"sftp:user@domain@host:/dir/subdir", sftpLocation{User: "user@domain", Host: "host", Path: "/dir/subdir"}},
		{"sftp:host:../dir/subdir", sftpLocation{Host: "host", Path: "../dir/subdir"}},
		{"sftp:user@host:dir/subdir:suffix", sftpLocation{User: "user", Host: "host", Path: "dir/subdir:suffix"}},
		{"sftp:user@host:dir/subdir/../other", sftpLocation{User: "user", Host: "host", Path: "dir/other"}},
		{"sftp:user@host:dir///subdir", sftpLocation{User: "user", Host: "host", Path: "dir/subdir"}},
		{"sftp:host:", sftpLocation{Host: "host", Path: "."}},
	} {
		got, err := parseSFTP(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseSFTP(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"sftp://host:dir", "sftp:hostonly", "sftp://host", "sftp:host:~/repo", "rest:http://x/", "sftp::/x"} {
		if got, err := parseSFTP(bad); err == nil {
			t.Errorf("parseSFTP(%q) = %+v, want an error", bad, got)
		}
	}
	if got := redactSFTP("sftp://u:secret@host//x"); strings.Contains(got, "secret") {
		t.Errorf("redactSFTP kept the password: %s", got)
	}
}

func TestResolveSSHConfig(t *testing.T) {
	home := t.TempDir()
	btWrite(t, filepath.Join(home, ".ssh", "config"), `
Host backup
  HostName %h.example.org
  Port 2222
  User alice
  IdentityFile ~/.ssh/backup_key
  IdentityFile %d/.ssh/second

Host *.lan
  User bob
  UserKnownHostsFile ~/.ssh/lan_hosts

Host *
  IdentitiesOnly yes
  User default-user
`)
	btWrite(t, filepath.Join(home, ".ssh", "known_hosts"), "")
	btWrite(t, filepath.Join(home, ".ssh", "lan_hosts"), "")
	env := []string{"HOME=" + home}

	got, err := resolveSSH(sftpLocation{Host: "backup", Path: "r"}, env)
	if err != nil {
		t.Fatal(err)
	}
	want := sshTarget{
		Alias: "backup", HostName: "backup.example.org", Port: "2222", User: "alice", Home: home,
		Identities:         []string{filepath.Join(home, ".ssh", "backup_key"), filepath.Join(home, ".ssh", "second")},
		KnownHosts:         []string{filepath.Join(home, ".ssh", "known_hosts")},
		ExplicitIdentities: true, IdentitiesOnly: true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("backup:\n got %+v\nwant %+v", got, want)
	}

	// The repository string wins over the config, as ssh's -l and -p do.
	got, err = resolveSSH(sftpLocation{User: "carol", Host: "nas.lan", Port: "23", Path: "r"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if got.HostName != "nas.lan" || got.User != "carol" || got.Port != "23" || got.ExplicitIdentities ||
		!slices.Equal(got.KnownHosts, []string{filepath.Join(home, ".ssh", "lan_hosts")}) {
		t.Errorf("nas.lan: %+v", got)
	}
	if want := filepath.Join(home, ".ssh", "id_ed25519"); got.Identities[0] != want {
		t.Errorf("default identities %v, want %s first", got.Identities, want)
	}
	got, err = resolveSSH(sftpLocation{Host: "nas.lan", Path: "r"}, env)
	if err != nil || got.User != "bob" || got.Port != "22" {
		t.Errorf("first matching User wins: %+v, %v", got, err)
	}

	btWrite(t, filepath.Join(home, ".ssh", "config"), "Host jump\n  ProxyJump gateway\n")
	if _, err := resolveSSH(sftpLocation{Host: "jump", Path: "r"}, env); err == nil || !strings.Contains(err.Error(), "ProxyJump") {
		t.Errorf("ProxyJump: %v", err)
	}
}

// TestSFTPBackend reads and removes locks that restic wrote through a real
// OpenSSH server, and checks the result against restic itself.
func TestSFTPBackend(t *testing.T) {
	r := demotest.SFTPRepo(t)
	live := demotest.Hold(t, r, demo.Options{})
	dead := demotest.Orphan(t, r)
	ctx := context.Background()
	be, err := OpenSFTP(ctx, r.Location, r.Env)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if be.Location() != r.Location {
		t.Errorf("Location() = %q, want %q", be.Location(), r.Location)
	}
	list, err := be.List(ctx, "locks")
	if err != nil {
		t.Fatal(err)
	}
	// The repository is on this disk too: sizes as the file system has them.
	for _, fi := range list {
		st, err := os.Stat(filepath.Join(r.LocksDir, fi.Name))
		if err != nil || st.Size() != fi.Size {
			t.Errorf("%s: listed size %d, on disk %v %v", fi.Name, fi.Size, st.Size(), err)
		}
	}
	checkNativeOpen(t, r, live.PID, live.LockID)
	checkBackendAgainstRestic(t, be, r, live.LockID, dead.LockID)

	// A connection that ended (server restart, a laptop that slept) is
	// replaced on the next call.
	sb := be.(*sftpBackend)
	sb.mu.Lock()
	_ = sb.conn.ssh.Close()
	sb.mu.Unlock()
	if list, err := be.List(ctx, "locks"); err != nil || len(list) != 1 || list[0].Name != live.LockID {
		t.Errorf("List after the connection ended = %v, %v", list, err)
	}
	be.Close()
	if _, err := be.List(ctx, "locks"); err == nil {
		t.Error("List after Close did not fail")
	}
}

// TestSFTPAgent authenticates with a key that only ssh-agent holds.
func TestSFTPAgent(t *testing.T) {
	agentBin, err := exec.LookPath("ssh-agent")
	if err != nil {
		t.Skipf("no ssh-agent: %v", err)
	}
	r := demotest.SFTPRepo(t)
	orig := btRepoHome(t, r)
	home := t.TempDir()
	btWrite(t, filepath.Join(home, ".ssh", "known_hosts"), btReadFile(t, filepath.Join(orig, ".ssh", "known_hosts")))
	btWrite(t, filepath.Join(home, ".ssh", "config"), "Host "+demotest.SFTPHostAlias+"\n  HostName 127.0.0.1\n  Port "+btSSHPort(t, r)+"\n  User root\n")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agentCmd := exec.Command(agentBin, "-D", "-a", sock)
	if err := agentCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = agentCmd.Process.Kill(); _ = agentCmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent did not create its socket")
		}
	}
	add := exec.Command("ssh-add", filepath.Join(orig, ".ssh", "id_ed25519"))
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}

	env := []string{"HOME=" + home}
	if _, err := OpenSFTP(context.Background(), r.Location, env); err == nil || !strings.Contains(err.Error(), "no usable SSH key") {
		t.Errorf("without agent or key file: %v", err)
	}
	be, err := OpenSFTP(context.Background(), r.Location, append(env, "SSH_AUTH_SOCK="+sock))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if _, err := be.Read(context.Background(), "config"); err != nil {
		t.Error(err)
	}
}

// TestSFTPRepositoryForms opens the same repository through each form of
// repository string restic accepts, each with a relative and an absolute
// path, with and without the ~/.ssh/config alias.
func TestSFTPRepositoryForms(t *testing.T) {
	r := demotest.SFTPRepo(t)
	demotest.Orphan(t, r)
	want := demotest.ResticLocks(t, r)
	abs := filepath.Dir(r.LocksDir)
	root, err := user.Lookup("root")
	if err != nil {
		t.Fatal(err)
	}
	// internal-sftp resolves a relative path against the login directory.
	rel, err := filepath.Rel(root.HomeDir, abs)
	if err != nil {
		t.Fatal(err)
	}
	port := btSSHPort(t, r)
	for _, loc := range []string{
		"sftp:" + demotest.SFTPHostAlias + ":" + abs,
		"sftp:root@" + demotest.SFTPHostAlias + ":" + rel,
		"sftp://root@" + demotest.SFTPHostAlias + "/" + abs,
		"sftp://root@127.0.0.1:" + port + "/" + abs,
		"sftp://127.0.0.1:" + port + "/" + rel,
	} {
		// The last one has neither alias nor user: the local user is root.
		be, err := OpenSFTP(context.Background(), loc, r.Env)
		if err != nil {
			t.Errorf("%s: %v", loc, err)
			continue
		}
		list, err := be.List(context.Background(), "locks")
		be.Close()
		if got := btNames(list); err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: List = %v, %v; want %v", loc, got, err, want)
		}
	}
}

// TestSFTPHostKeyChecked: a server whose key is not in known_hosts, or is
// there with another key, is refused, with known_hosts named.
func TestSFTPHostKeyChecked(t *testing.T) {
	r := demotest.SFTPRepo(t)
	home := t.TempDir()
	btWrite(t, filepath.Join(home, ".ssh", "config"), btReadFile(t, filepath.Join(btRepoHome(t, r), ".ssh", "config")))
	env := []string{"HOME=" + home}
	knownHosts := filepath.Join(home, ".ssh", "known_hosts")

	// No known_hosts at all.
	if _, err := OpenSFTP(context.Background(), r.Location, env); err == nil || !strings.Contains(err.Error(), knownHosts) {
		t.Errorf("without known_hosts: %v, want an error naming %s", err, knownHosts)
	}

	// known_hosts without this server.
	other := btHostKeyLine(t, "[127.0.0.1]:1")
	btWrite(t, knownHosts, other)
	_, err := OpenSFTP(context.Background(), r.Location, env)
	if err == nil || !strings.Contains(err.Error(), knownHosts) || !strings.Contains(err.Error(), "ssh "+demotest.SFTPHostAlias) {
		t.Errorf("unknown host: %v, want an error naming %s and telling to ssh once", err, knownHosts)
	}
	t.Logf("unknown host: %v", err)

	// known_hosts with another key for this server.
	btWrite(t, knownHosts, other+btHostKeyLine(t, "[127.0.0.1]:"+btSSHPort(t, r)))
	_, err = OpenSFTP(context.Background(), r.Location, env)
	if err == nil || !strings.Contains(err.Error(), "MISMATCH") || !strings.Contains(err.Error(), knownHosts) {
		t.Errorf("changed host key: %v, want a mismatch naming %s", err, knownHosts)
	}
	t.Logf("changed key: %v", err)
}

// TestSFTPSilentServer: a server that accepts the connection and never
// says anything fails the open within the handshake timeout.
func TestSFTPSilentServer(t *testing.T) {
	old := sftpHandshakeTimeout
	sftpHandshakeTimeout = 500 * time.Millisecond
	defer func() { sftpHandshakeTimeout = old }()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	home := t.TempDir()
	btWrite(t, filepath.Join(home, ".ssh", "known_hosts"), "")
	btWriteKey(t, filepath.Join(home, ".ssh", "id_ed25519"))

	start := time.Now()
	_, err = OpenSFTP(context.Background(), "sftp://root@"+l.Addr().String()+"//repo", []string{"HOME=" + home})
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "handshake") {
		t.Errorf("silent server: %v, want a handshake timeout", err)
	}
	if took > 5*time.Second {
		t.Errorf("took %v with a %v timeout", took, sftpHandshakeTimeout)
	}

	// A cancelled context ends the wait too.
	sftpHandshakeTimeout = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = OpenSFTP(ctx, "sftp://root@"+l.Addr().String()+"//repo", []string{"HOME=" + home})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled: %v after %v", err, time.Since(start))
	}
}

// checkNativeOpen opens d the way the checker does (Open on its config,
// the backend chosen from the location, the environment from the config)
// and checks that it reads every lock as restic does: the fields that
// decide a verdict, and the live lock's PID being the running restic's.
func checkNativeOpen(t *testing.T, d *demo.Repo, livePID int, live string) {
	t.Helper()
	ctx := context.Background()
	env := map[string]string{}
	for _, kv := range d.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	r, err := Open(ctx, &config.Repo{Name: "e2e", Repository: d.Location, PasswordFile: d.PasswordFile, Env: env}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := demotest.ResticLocks(t, d)
	ids, err := r.ListLocks(ctx)
	if err != nil || !slices.Equal(ids, want) {
		t.Fatalf("native ListLocks = %v, %v; restic lists %v", ids, err, want)
	}
	for _, id := range ids {
		got, err := r.ReadLock(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		cmd := d.Command(ctx, "cat", "lock", id, "--no-lock")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("restic cat lock %s: %v", id, err)
		}
		w, err := lock.Parse(id, out)
		if err != nil {
			t.Fatal(err)
		}
		if got.Problem != "" || got.ID != w.ID || !got.Time.Equal(w.Time) || got.Exclusive != w.Exclusive ||
			got.Hostname != w.Hostname || got.Username != w.Username || got.PID != w.PID || got.UID != w.UID {
			t.Errorf("lock %.8s:\nnative %+v\nrestic %+v", id, got, w)
		}
		if id == live && got.PID != livePID {
			t.Errorf("live lock %.8s has PID %d, restic runs as %d", id, got.PID, livePID)
		}
	}
}

// checkBackendAgainstRestic compares be with restic on r, which holds the
// locks live (a running restic) and dead (a killed one): the same lock IDs,
// sizes that match the content, content that matches its name, missing
// files reported as ErrNotExist, and a removal that restic then sees.
func checkBackendAgainstRestic(t *testing.T, be Backend, r *demo.Repo, live, dead string) {
	t.Helper()
	ctx := context.Background()
	want := demotest.ResticLocks(t, r)
	if !slices.Contains(want, live) || !slices.Contains(want, dead) {
		t.Fatalf("restic lists %v, without the live %s or the dead %s", want, live, dead)
	}
	list, err := be.List(ctx, "locks")
	if err != nil {
		t.Fatal(err)
	}
	if got := btNames(list); !slices.Equal(got, want) {
		t.Fatalf("List(locks) = %v, restic lists %v", got, want)
	}
	for _, fi := range list {
		data, err := be.Read(ctx, "locks/"+fi.Name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != fi.Size || hex.EncodeToString(sum[:]) != fi.Name {
			t.Errorf("locks/%s: read %d bytes with SHA-256 %x, listed size %d", fi.Name, len(data), sum, fi.Size)
		}
	}
	if data, err := be.Read(ctx, "config"); err != nil || len(data) == 0 {
		t.Errorf("Read(config) = %d bytes, %v", len(data), err)
	}
	if keys, err := be.List(ctx, "keys"); err != nil || len(keys) != 1 {
		t.Errorf("List(keys) = %v, %v; want one key", keys, err)
	}
	if none, err := be.List(ctx, "no-such-dir"); err != nil || len(none) != 0 {
		t.Errorf("List of a missing dir = %v, %v; want empty", none, err)
	}
	missing := "locks/" + strings.Repeat("0", 64)
	if _, err := be.Read(ctx, missing); !errors.Is(err, ErrNotExist) {
		t.Errorf("Read(missing) = %v, want ErrNotExist", err)
	}

	if err := be.Remove(ctx, "locks/"+dead); err != nil {
		t.Fatal(err)
	}
	after := demotest.ResticLocks(t, r)
	if slices.Contains(after, dead) || !slices.Contains(after, live) {
		t.Errorf("after removing %s restic lists %v", dead, after)
	}
	if err := be.Remove(ctx, "locks/"+dead); !errors.Is(err, ErrNotExist) {
		t.Errorf("Remove again = %v, want ErrNotExist", err)
	}
	if err := be.Remove(ctx, missing); !errors.Is(err, ErrNotExist) {
		t.Errorf("Remove(missing) = %v, want ErrNotExist", err)
	}
	list, err = be.List(ctx, "locks")
	if got := btNames(list); err != nil || !slices.Equal(got, after) {
		t.Errorf("List after Remove = %v, %v; restic lists %v", got, err, after)
	}
}

func btNames(list []FileInfo) []string {
	var out []string
	for _, fi := range list {
		out = append(out, fi.Name)
	}
	sort.Strings(out)
	return out
}

func btRepoHome(t *testing.T, r *demo.Repo) string {
	for _, kv := range r.Env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			return v
		}
	}
	t.Fatal("no HOME in the repo's env")
	return ""
}

func btSSHPort(t *testing.T, r *demo.Repo) string {
	m := regexp.MustCompile(`(?m)^\s*Port (\d+)`).FindStringSubmatch(btReadFile(t, filepath.Join(btRepoHome(t, r), ".ssh", "config")))
	if m == nil {
		t.Fatal("no Port in the test ssh config")
	}
	return m[1]
}

// btHostKeyLine is a known_hosts line for host with a fresh random key.
func btHostKeyLine(t *testing.T, host string) string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return knownhosts.Line([]string{host}, key) + "\n"
}

func btWriteKey(t *testing.T, name string) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	btWrite(t, name, string(pem.EncodeToMemory(block)))
}

func btWrite(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func btReadFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
