package native

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kevinburke/ssh_config"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sftpHandshakeTimeout bounds everything from the TCP connect to a
// working sftp session (key exchange, host key check, authentication, sftp
// version exchange): a server that accepts the connection and then says
// nothing must not hang a check. A variable so that tests can shorten it.
var sftpHandshakeTimeout = 15 * time.Second

// sftpLocation is a repository string split as restic splits it.
type sftpLocation struct {
	User, Host, Port string
	Path             string // path.Clean'ed; relative paths are relative to the login directory
}

// parseSFTP follows restic's sftp ParseConfig (internal/backend/sftp/config.go):
//
//	sftp:user@host:/abs/path    sftp:host:relative/path
//	sftp://user@host:port//abs  sftp://user@host:port/relative
//
// In the short form everything after the first colon is the path, and a
// user may itself contain one '@' (user@domain@host).
func parseSFTP(repository string) (sftpLocation, error) {
	var loc sftpLocation
	var dir string
	switch {
	case strings.HasPrefix(repository, "sftp://"):
		u, err := url.Parse(repository)
		if err != nil {
			return loc, fmt.Errorf("sftp: %w", err)
		}
		if u.User != nil {
			loc.User = u.User.Username()
		}
		loc.Host, loc.Port = u.Hostname(), u.Port()
		if u.Path == "" {
			return loc, fmt.Errorf("sftp: no directory in %q", redactSFTP(repository))
		}
		dir = u.Path[1:] // "//abs" is absolute, "/rel" is relative
	case strings.HasPrefix(repository, "sftp:"):
		host, rest, ok := strings.Cut(repository[len("sftp:"):], ":")
		if !ok {
			return loc, errors.New("sftp: invalid format, hostname or path not found")
		}
		dir = rest
		switch parts := strings.SplitN(host, "@", 3); len(parts) {
		case 3:
			loc.User, loc.Host = parts[0]+"@"+parts[1], parts[2]
		case 2:
			loc.User, loc.Host = parts[0], parts[1]
		default:
			loc.Host = host
		}
	default:
		return loc, errors.New(`sftp: invalid format, does not start with "sftp:"`)
	}
	if loc.Host == "" {
		return loc, errors.New("sftp: no host name")
	}
	loc.Path = path.Clean(dir)
	if strings.HasPrefix(loc.Path, "~") {
		// restic refuses these too: sftp servers do not expand the tilde.
		return loc, errors.New("sftp: the path starts with ~, which sftp servers do not expand; use a path relative to the home directory")
	}
	return loc, nil
}

// redactSFTP hides a password in a URL-form repository string: restic
// never uses one for sftp, but a user may still have typed it.
func redactSFTP(repository string) string {
	if strings.HasPrefix(repository, "sftp://") {
		if u, err := url.Parse(repository); err == nil {
			return u.Redacted()
		}
	}
	return repository
}

// sshTarget is where and as whom to connect, after ~/.ssh/config.
type sshTarget struct {
	Alias      string   // the host as written in the repository string
	HostName   string   // what to dial and to look up in known_hosts
	Port       string   // "22" unless set
	User       string   // remote user
	Home       string   // the local home whose ~/.ssh is used
	Identities []string // private key files to try, in order
	KnownHosts []string // known_hosts files that exist
	// ExplicitIdentities is set when the config named IdentityFile, so
	// the default key names were not added.
	ExplicitIdentities bool
	IdentitiesOnly     bool // agent keys are not offered
}

// backendGetenv reads a variable from the repository's environment first
// (what restic would be started with for this repository), then from the
// process environment. The last occurrence in env wins, as with exec.Cmd.
func backendGetenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return os.Getenv(key)
}

// resolveSSH applies the basics of ~/.ssh/config to loc, as ssh (which
// restic runs) would: HostName, User, Port and IdentityFile for the host
// alias, with Host patterns. github.com/kevinburke/ssh_config parses the
// file; it refuses `Match exec`, so reading a config never runs anything.
// Values from the repository string win over the config, like ssh's
// -l/-p options that restic passes.
func resolveSSH(loc sftpLocation, env []string) (sshTarget, error) {
	t := sshTarget{Alias: loc.Host, HostName: loc.Host, User: loc.User, Port: loc.Port}
	t.Home = backendGetenv(env, "HOME")
	if t.Home == "" {
		if u, err := user.Current(); err == nil {
			t.Home = u.HomeDir
		}
	}
	var cfg *ssh_config.Config
	if t.Home != "" {
		name := filepath.Join(t.Home, ".ssh", "config")
		data, err := os.ReadFile(name)
		switch {
		case err == nil:
			if cfg, err = ssh_config.DecodeBytes(data); err != nil {
				return t, fmt.Errorf("sftp: reading %s: %w", name, err)
			}
		case !errors.Is(err, fs.ErrNotExist):
			return t, fmt.Errorf("sftp: %w", err)
		}
	}
	get := func(key string) string {
		if cfg == nil {
			return ""
		}
		v, _ := cfg.Get(loc.Host, key)
		return v
	}
	getAll := func(key string) []string {
		if cfg == nil {
			return nil
		}
		v, _ := cfg.GetAll(loc.Host, key)
		return v
	}
	// Connecting straight to the host would bypass what these set up (or
	// reach another machine), so say so rather than try.
	for _, key := range []string{"ProxyJump", "ProxyCommand"} {
		if v := get(key); v != "" && !strings.EqualFold(v, "none") {
			return t, fmt.Errorf("sftp: %s in ~/.ssh/config for %s is not supported by the native reader", key, loc.Host)
		}
	}
	if v := get("HostName"); v != "" {
		t.HostName = strings.ReplaceAll(strings.ReplaceAll(v, "%h", loc.Host), "%%", "%")
	}
	if t.Port == "" {
		t.Port = get("Port")
	}
	if t.Port == "" {
		t.Port = "22"
	}
	if _, err := strconv.ParseUint(t.Port, 10, 16); err != nil {
		return t, fmt.Errorf("sftp: invalid port %q", t.Port)
	}
	local := backendGetenv(env, "USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		local = u.Username // who we are, as ssh takes it, rather than what USER says
	}
	if t.User == "" {
		t.User = get("User")
	}
	if t.User == "" {
		t.User = local
	}
	if t.User == "" {
		return t, errors.New("sftp: no user name: put one in the repository string (sftp:user@host:path)")
	}
	expand := func(p string) string {
		p = strings.NewReplacer("%d", t.Home, "%u", local, "%r", t.User, "%h", t.HostName, "%%", "%").Replace(p)
		if p == "~" {
			return t.Home
		}
		if strings.HasPrefix(p, "~/") {
			return filepath.Join(t.Home, p[2:])
		}
		return p
	}
	for _, f := range getAll("IdentityFile") {
		t.ExplicitIdentities = true
		if !strings.EqualFold(f, "none") {
			t.Identities = append(t.Identities, expand(f))
		}
	}
	if !t.ExplicitIdentities && t.Home != "" {
		// ssh's own defaults, for the key types x/crypto/ssh can use.
		for _, name := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			t.Identities = append(t.Identities, filepath.Join(t.Home, ".ssh", name))
		}
	}
	t.IdentitiesOnly = strings.EqualFold(get("IdentitiesOnly"), "yes")

	// known_hosts: UserKnownHostsFile (may list several) or ssh's two
	// defaults, plus the system-wide file. Only existing files count;
	// knownhosts.New fails on a missing one.
	users := strings.Fields(get("UserKnownHostsFile"))
	if len(users) == 0 && t.Home != "" {
		users = []string{filepath.Join(t.Home, ".ssh", "known_hosts"), filepath.Join(t.Home, ".ssh", "known_hosts2")}
	}
	globals := strings.Fields(get("GlobalKnownHostsFile"))
	if len(globals) == 0 {
		globals = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
	}
	for _, f := range append(users, globals...) {
		f = expand(f)
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			t.KnownHosts = append(t.KnownHosts, f)
		}
	}
	return t, nil
}

// userKnownHosts names the known_hosts file to mention in messages.
func (t sshTarget) userKnownHosts() string {
	if len(t.KnownHosts) > 0 {
		return t.KnownHosts[0]
	}
	return filepath.Join(t.Home, ".ssh", "known_hosts")
}

// sshCommandHint is the ssh command that would record the host key.
func (t sshTarget) sshCommandHint() string {
	if t.Alias != t.HostName {
		return "ssh " + t.Alias
	}
	if t.Port != "22" {
		return fmt.Sprintf("ssh -p %s %s@%s", t.Port, t.User, t.HostName)
	}
	return fmt.Sprintf("ssh %s@%s", t.User, t.HostName)
}

// hostKeyCallback checks the server's key against known_hosts: always.
// There is deliberately no way to skip it (StrictHostKeyChecking in the
// config is not read): lockwatch may delete files on that server.
func (t sshTarget) hostKeyCallback() (ssh.HostKeyCallback, []string, error) {
	if len(t.KnownHosts) == 0 {
		return nil, nil, fmt.Errorf("sftp: %s does not exist, so the host key of %s cannot be checked: connect once with `%s` to check and record it",
			t.userKnownHosts(), t.HostName, t.sshCommandHint())
	}
	check, err := knownhosts.New(t.KnownHosts...)
	if err != nil {
		return nil, nil, fmt.Errorf("sftp: reading known_hosts: %w", err)
	}
	wrapped := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		if err := checkHostKey(check, t, hostname, remote, key); err != nil {
			return hostKeyError{err}
		}
		return nil
	}
	return wrapped, knownKeyAlgorithms(check, t.addr()), nil
}

// hostKeyError marks a refused host key, so that its message reaches the
// user without x/crypto's "ssh: handshake failed" in front.
type hostKeyError struct{ error }

func (e hostKeyError) Unwrap() error { return e.error }

// checkHostKey turns knownhosts' verdict into a message that says what
// to do: record an unknown host with ssh once, or beware a changed key.
func checkHostKey(check ssh.HostKeyCallback, t sshTarget, hostname string, remote net.Addr, key ssh.PublicKey) error {
	err := check(hostname, remote, key)
	var keyErr *knownhosts.KeyError
	var revoked *knownhosts.RevokedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &revoked):
		return fmt.Errorf("sftp: the host key of %s is marked revoked in known_hosts", knownhosts.Normalize(hostname))
	case errors.As(err, &keyErr) && len(keyErr.Want) == 0:
		return fmt.Errorf("sftp: host %s is not in %s (it offered %s key %s): connect once with `%s` to check the fingerprint and record it",
			knownhosts.Normalize(hostname), strings.Join(t.KnownHosts, ", "), key.Type(), ssh.FingerprintSHA256(key), t.sshCommandHint())
	case errors.As(err, &keyErr):
		want := keyErr.Want[0]
		return fmt.Errorf("sftp: HOST KEY MISMATCH for %s: it offered %s key %s, but %s:%d has another key; someone may be intercepting the connection, or the host key changed",
			knownhosts.Normalize(hostname), key.Type(), ssh.FingerprintSHA256(key), want.Filename, want.Line)
	default:
		return fmt.Errorf("sftp: checking the host key: %w", err)
	}
}

func (t sshTarget) addr() string { return net.JoinHostPort(t.HostName, t.Port) }

// probeKey is a key that matches nothing, to ask known_hosts which keys
// it holds for a host.
type probeKey struct{}

func (probeKey) Type() string                        { return "lockwatch-probe" }
func (probeKey) Marshal() []byte                     { return []byte("lockwatch-probe") }
func (probeKey) Verify([]byte, *ssh.Signature) error { return errors.New("probe key") }

// knownKeyAlgorithms lists the host key algorithms known_hosts has for
// addr, so that the server is asked for a key of a type we can check
// (as ssh does). Without it a server preferring, say, ECDSA would be
// reported as a mismatch when known_hosts only holds its Ed25519 key.
func knownKeyAlgorithms(check ssh.HostKeyCallback, addr string) []string {
	err := check(addr, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, probeKey{})
	var keyErr *knownhosts.KeyError
	if !errors.As(err, &keyErr) {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, k := range keyErr.Want {
		names := []string{k.Key.Type()}
		if names[0] == ssh.KeyAlgoRSA {
			// An RSA key is checked the same whatever hash signs with it.
			names = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				algos = append(algos, n)
			}
		}
	}
	return algos
}

// loadIdentities reads the private keys to offer. Keys with a passphrase
// cannot be used by a background check (nobody types it): they are
// skipped and named in skipped, for the message if all else fails; the
// usual answer is ssh-agent.
func loadIdentities(files []string, explicit bool) (signers []ssh.Signer, skipped []string) {
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && !explicit {
				continue // a default name that simply is not there
			}
			skipped = append(skipped, fmt.Sprintf("%s (%v)", f, err))
			continue
		}
		s, err := ssh.ParsePrivateKey(data)
		var pass *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pass):
			skipped = append(skipped, f+" (needs a passphrase: add it to ssh-agent)")
		case err != nil:
			skipped = append(skipped, fmt.Sprintf("%s (%v)", f, err))
		default:
			signers = append(signers, s)
		}
	}
	return signers, skipped
}

// sftpConn is one SSH connection with its sftp session.
type sftpConn struct {
	ssh  *ssh.Client
	sftp *sftp.Client
	gone chan struct{} // closed when the SSH connection has ended
}

func (c *sftpConn) ended() bool {
	select {
	case <-c.gone:
		return true
	default:
		return false
	}
}

func (c *sftpConn) close() {
	_ = c.sftp.Close()
	_ = c.ssh.Close()
}

// sftpBackend reads a repository over sftp. It keeps one connection and
// makes a new one when that has ended (a server restart, a laptop that
// slept), so a long-running daemon does not need reopening.
type sftpBackend struct {
	target   sshTarget
	root     string
	location string
	env      []string

	mu     sync.Mutex
	conn   *sftpConn
	closed bool
}

// OpenSFTP opens an sftp: repository with github.com/pkg/sftp over
// golang.org/x/crypto/ssh, without running ssh: host, user, port and
// identity files come from the repository string and ~/.ssh/config (HOME
// taken from env first), keys from those files and from ssh-agent
// (SSH_AUTH_SOCK), and the host key is always checked against known_hosts.
// It connects at once, so that such problems show here.
func OpenSFTP(ctx context.Context, repository string, env []string) (Backend, error) {
	loc, err := parseSFTP(repository)
	if err != nil {
		return nil, err
	}
	target, err := resolveSSH(loc, env)
	if err != nil {
		return nil, err
	}
	b := &sftpBackend{target: target, root: loc.Path, location: redactSFTP(repository), env: env}
	if _, err := b.connect(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// connect returns the current connection, or makes one.
func (b *sftpBackend) connect(ctx context.Context) (*sftpConn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.New("sftp: backend is closed")
	}
	if b.conn != nil && !b.conn.ended() {
		return b.conn, nil
	}
	if b.conn != nil {
		b.conn.close()
		b.conn = nil
	}
	c, err := dialSFTP(ctx, b.target, b.env)
	if err != nil {
		return nil, err
	}
	b.conn = c
	return c, nil
}

// drop forgets c (if still current) and closes it.
func (b *sftpBackend) drop(c *sftpConn) {
	b.mu.Lock()
	if b.conn == c {
		b.conn = nil
	}
	b.mu.Unlock()
	c.close()
}

func dialSFTP(ctx context.Context, t sshTarget, env []string) (*sftpConn, error) {
	hostKey, algos, err := t.hostKeyCallback()
	if err != nil {
		return nil, err
	}
	signers, skipped := loadIdentities(t.Identities, t.ExplicitIdentities)
	if sock := backendGetenv(env, "SSH_AUTH_SOCK"); sock != "" && !t.IdentitiesOnly {
		d := net.Dialer{Timeout: sftpHandshakeTimeout}
		if ac, err := d.DialContext(ctx, "unix", sock); err == nil {
			// The agent signs during authentication only.
			defer ac.Close()
			if more, err := agent.NewClient(ac).Signers(); err == nil {
				signers = append(signers, more...)
			}
		}
	}
	if len(signers) == 0 {
		msg := fmt.Sprintf("sftp: no usable SSH key for %s@%s: none of %s, and no key in ssh-agent", t.User, t.HostName, strings.Join(t.Identities, ", "))
		if len(skipped) > 0 {
			msg += "; skipped: " + strings.Join(skipped, "; ")
		}
		return nil, errors.New(msg)
	}
	cfg := &ssh.ClientConfig{
		User:              t.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(dedupSigners(signers)...)},
		HostKeyCallback:   hostKey,
		HostKeyAlgorithms: algos,
		Timeout:           sftpHandshakeTimeout,
	}

	addr := t.addr()
	d := net.Dialer{Timeout: sftpHandshakeTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sftp: %w", err)
	}
	// One deadline for the whole handshake; cancelling ctx ends it early.
	_ = nc.SetDeadline(time.Now().Add(sftpHandshakeTimeout))
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*sftpConn, error) {
		stop()
		_ = nc.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("sftp: connecting to %s: %w", addr, ctx.Err())
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("sftp: %s did not complete the SSH handshake within %v", addr, sftpHandshakeTimeout)
		}
		return nil, err
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	if err != nil {
		if strings.Contains(err.Error(), "unable to authenticate") && len(skipped) > 0 {
			err = fmt.Errorf("%w (skipped keys: %s)", err, strings.Join(skipped, "; "))
		}
		var hk hostKeyError
		if errors.As(err, &hk) {
			return fail(hk.error)
		}
		return fail(fmt.Errorf("sftp: %s@%s: %w", t.User, addr, err))
	}
	client := ssh.NewClient(sc, chans, reqs)
	sc2, err := sftp.NewClient(client)
	if err != nil {
		_ = client.Close()
		return fail(fmt.Errorf("sftp: starting the sftp subsystem on %s: %w", addr, err))
	}
	if !stop() && ctx.Err() != nil {
		_ = sc2.Close()
		_ = client.Close()
		return nil, fmt.Errorf("sftp: connecting to %s: %w", addr, ctx.Err())
	}
	_ = nc.SetDeadline(time.Time{})
	c := &sftpConn{ssh: client, sftp: sc2, gone: make(chan struct{})}
	go func() {
		_ = client.Wait()
		close(c.gone)
	}()
	return c, nil
}

// dedupSigners drops keys offered twice (a key file that is also in the
// agent): each costs one of the server's few authentication attempts.
func dedupSigners(in []ssh.Signer) []ssh.Signer {
	var out []ssh.Signer
	for _, s := range in {
		dup := false
		for _, o := range out {
			if bytes.Equal(o.PublicKey().Marshal(), s.PublicKey().Marshal()) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// sftpRun runs op on a connection, giving up when ctx ends: pkg/sftp
// takes no context, so the connection is closed to stop op (the next call
// makes a new one). With retry, an op that failed because the connection
// had ended (idle connection dropped while the laptop slept) runs once more
// on a new connection; only reads retry, a Remove is never repeated.
func sftpRun[T any](ctx context.Context, b *sftpBackend, retry bool, op func(*sftp.Client) (T, error)) (T, error) {
	var zero T
	for attempt := 0; ; attempt++ {
		c, err := b.connect(ctx)
		if err != nil {
			return zero, err
		}
		type result struct {
			v   T
			err error
		}
		done := make(chan result, 1)
		go func() {
			v, err := op(c.sftp)
			done <- result{v, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-ctx.Done():
			b.drop(c)
			return zero, ctx.Err()
		}
		if r.err == nil {
			return r.v, nil
		}
		if !c.ended() && !connectionLost(r.err) {
			return zero, r.err
		}
		b.drop(c)
		if !retry || attempt > 0 || ctx.Err() != nil {
			return zero, fmt.Errorf("sftp: connection to %s lost: %w", b.target.addr(), r.err)
		}
	}
}

// connectionLost tells transport failures from the server's answers
// (those are *sftp.StatusError, or fs.ErrNotExist and the like): pkg/sftp
// fails requests on a dead connection with ErrSSHFxConnectionLost, or
// with the write's error (io.EOF, a closed connection) when it has not
// noticed yet.
func connectionLost(err error) bool {
	return errors.Is(err, sftp.ErrSSHFxConnectionLost) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

func (b *sftpBackend) path(name string) string { return path.Join(b.root, name) }

// List implements Backend.
func (b *sftpBackend) List(ctx context.Context, dir string) ([]FileInfo, error) {
	p := b.path(dir)
	return sftpRun(ctx, b, true, func(c *sftp.Client) ([]FileInfo, error) {
		entries, err := c.ReadDirContext(ctx, p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("sftp: listing %s: %w", p, err)
		}
		// pkg/sftp reads a directory whole; what is bounded here is what
		// the check goes on to hold and read (the request deadline bounds
		// the time).
		if len(entries) > maxListing {
			return nil, fmt.Errorf("sftp: %w", errListingTooLarge(dir, maxListingText))
		}
		var out []FileInfo
		for _, e := range entries {
			if e.Mode().IsRegular() {
				out = append(out, FileInfo{Name: e.Name(), Size: e.Size()})
			}
		}
		return out, nil
	})
}

// Read implements Backend.
func (b *sftpBackend) Read(ctx context.Context, name string) ([]byte, error) {
	p := b.path(name)
	return sftpRun(ctx, b, true, func(c *sftp.Client) ([]byte, error) {
		f, err := c.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sftp: %s: %w", p, ErrNotExist)
		}
		if err != nil {
			return nil, fmt.Errorf("sftp: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("sftp: %w", err)
		}
		if err := checkSize(name, st.Size()); err != nil {
			return nil, fmt.Errorf("sftp: %w", err)
		}
		data, err := readBounded(f, name)
		if err != nil {
			return nil, fmt.Errorf("sftp: %w", err)
		}
		return data, nil
	})
}

// Remove implements Backend. It stats first: pkg/sftp's Remove would also
// remove an empty directory of that name, and a stat gives a clear "not
// there" whatever the server's error for removing a missing file.
func (b *sftpBackend) Remove(ctx context.Context, name string) error {
	p := b.path(name)
	_, err := sftpRun(ctx, b, false, func(c *sftp.Client) (struct{}, error) {
		st, err := c.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return struct{}{}, fmt.Errorf("sftp: %s: %w", p, ErrNotExist)
		}
		if err != nil {
			return struct{}{}, fmt.Errorf("sftp: %w", err)
		}
		if st.IsDir() {
			return struct{}{}, fmt.Errorf("sftp: %s is a directory", p)
		}
		err = c.Remove(p)
		if errors.Is(err, fs.ErrNotExist) {
			// Removed by someone else between the stat and now.
			return struct{}{}, fmt.Errorf("sftp: %s: %w", p, ErrNotExist)
		}
		if err != nil {
			return struct{}{}, fmt.Errorf("sftp: removing %s: %w", p, err)
		}
		return struct{}{}, nil
	})
	return err
}

// Location implements Backend.
func (b *sftpBackend) Location() string { return b.location }

// Close implements Backend.
func (b *sftpBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.conn != nil {
		b.conn.close()
		b.conn = nil
	}
	return nil
}
