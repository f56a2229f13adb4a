package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lockwatch/lockwatch/service/demo"
	"github.com/lockwatch/lockwatch/service/demo/demotest"
)

// No lockwatch command ever sends a signal to the process a lock names:
// restic's own `unlock` probes a same-host lock's PID with SIGHUP, which
// kills whatever process took that PID over. These tests run the real
// lockwatch binary (and the restic it starts) under strace and look at
// every signal-sending system call.

// signalSyscalls are the calls that can send a signal, and pidfd_open,
// which names the process a later pidfd_send_signal goes to.
const signalSyscalls = "trace=kill,tkill,tgkill,rt_sigqueueinfo,rt_tgsigqueueinfo,pidfd_open,pidfd_send_signal"

// signalSent is one signal-sending call strace saw.
type signalSent struct {
	target int    // the PID (or process group, when < 1) it went to; 0 if unknown
	signal string // e.g. "SIGHUP"
	line   string
}

var (
	straceCall = regexp.MustCompile(`^\d+\s+(kill|tkill|tgkill|rt_sigqueueinfo|rt_tgsigqueueinfo|pidfd_open|pidfd_send_signal)\(([^)]*)\)?(?:\s*=\s*(-?\d+))?`)
)

// traced runs name with args under `strace -f`, and returns its output and
// the non-zero signals any of its processes sent, threads and children
// included. kill(pid, 0) sends nothing: it only asks whether pid exists.
func traced(t *testing.T, env []string, name string, args ...string) (output string, sent []signalSent) {
	t.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Fatalf("strace is not installed (run `make deps`, or apt-get install strace): %v", err)
	}
	log := filepath.Join(t.TempDir(), "strace.log")
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-e", signalSyscalls, "-e", "signal=none", "-o", log, name}, args...)...)
	cmd.Env = env
	out, _ := cmd.CombinedOutput() // the exit code is the command's; the test judges its output
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatalf("strace wrote no log: %v\n%s", err, out)
	}
	pidfds := map[string]int{} // fd from pidfd_open → the PID it names
	for _, line := range strings.Split(string(data), "\n") {
		m := straceCall.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		call, callArgs, ret := m[1], strings.Split(m[2], ", "), m[3]
		target := func(i int) int {
			if i >= len(callArgs) {
				return 0
			}
			n, _ := strconv.Atoi(callArgs[i])
			return n
		}
		arg := func(i int) string {
			if i >= len(callArgs) {
				return ""
			}
			return callArgs[i]
		}
		switch call {
		case "pidfd_open":
			if ret != "" {
				pidfds[ret] = target(0)
			}
		case "kill":
			if arg(1) != "0" {
				sent = append(sent, signalSent{target(0), arg(1), line})
			}
		case "tkill":
			sent = append(sent, signalSent{target(0), arg(1), line})
		case "tgkill", "rt_tgsigqueueinfo":
			sent = append(sent, signalSent{target(0), arg(2), line})
		case "rt_sigqueueinfo":
			sent = append(sent, signalSent{target(0), arg(1), line})
		case "pidfd_send_signal":
			if arg(1) != "0" {
				sent = append(sent, signalSent{pidfds[arg(0)], arg(1), line})
			}
		}
	}
	return string(out), sent
}

// lockedByOthers is a repository with two locks whose PIDs belong to live
// processes that are not restic: one of this host, whose restic died and
// whose PID a `sleep` took over (reused PID), and one of another host
// ("otherbox") whose PID here is another `sleep`.
type lockedByOthers struct {
	repo                   *demo.Repo
	reused, foreign        *demo.Holder // the dead restics that wrote the locks
	reusedBy, foreignLocal *exec.Cmd    // the live processes with their PIDs
}

func newLockedByOthers(t *testing.T) *lockedByOthers {
	t.Helper()
	demotest.RequireRoot(t, "run restic as another host (unshare --uts) and reuse PIDs (ns_last_pid)")
	// Behind a REST server: there the restic reader cannot delete single
	// lock files and has to use `restic unlock`, the call that signals.
	s := &lockedByOthers{repo: demotest.RESTRepo(t)}
	// Each dead restic's PID is taken over the moment it dies (ReusedPID
	// says why): one by a process of this host that is not restic, one
	// where the lock says another host, so the PID here is no evidence.
	s.reused, s.reusedBy = demotest.ReusedPID(t, s.repo, demo.Options{})
	s.foreign, s.foreignLocal = demotest.ReusedPID(t, s.repo, demo.Options{Hostname: "otherbox"})
	return s
}

// config has the repository twice: read natively (which deletes lock files
// itself) and through restic (which removes locks with `restic unlock`,
// after making sure restic will not signal anyone, or `restic unlock --remove-all`).
func (s *lockedByOthers) config(t *testing.T) string {
	return writeConfig(t, fmt.Sprintf("[defaults]\nrestic = %q\n", s.repo.Restic)+
		repoTOML("native", s.repo, "reader = \"native\"\n")+
		repoTOML("restic", s.repo, "reader = \"restic\"\n"))
}

// assertUntouched fails if any signal went to the lock's processes (or to
// a process group or everyone, which would include them), and checks that
// they still run.
func (s *lockedByOthers) assertUntouched(t *testing.T, what string, sent []signalSent) {
	t.Helper()
	for _, sig := range sent {
		switch sig.target {
		case s.reusedBy.Process.Pid, s.foreignLocal.Process.Pid:
			t.Errorf("%s sent %s to PID %d, a lock's PID: %s", what, sig.signal, sig.target, sig.line)
		case 0:
			// kill(0, sig) is the sender's whole process group, which holds
			// the test and its processes; a pidfd we could not trace back
			// may be anyone's.
			t.Errorf("%s sent %s to its process group or through an untraced pidfd: %s", what, sig.signal, sig.line)
		}
		if sig.target < 0 {
			t.Errorf("%s sent %s to a process group or everyone: %s", what, sig.signal, sig.line)
		}
	}
	for _, p := range []*exec.Cmd{s.reusedBy, s.foreignLocal} {
		if !demotest.Running(p) {
			t.Errorf("after %s, the process with PID %d (a lock's PID) has ended", what, p.Process.Pid)
		}
	}
}

func TestNoCommandSignalsALocksProcess(t *testing.T) {
	bin := lockwatchBinary(t)
	env := serviceEnv(t) // no service runs there: the commands work in-process

	// check, plain unlock, and --lock --force, on one set of locks: the
	// restic reader refuses (restic unlock would SIGHUP the reused PID)
	// before the native one removes.
	s := newLockedByOthers(t)
	cfg := s.config(t)
	steps := []struct {
		args      []string
		removed   string // the lock that is gone after this step, if any
		mustSaySo string
	}{
		{[]string{"check"}, "", ""},
		{[]string{"check", "--json"}, "", ""},
		{[]string{"unlock", "restic"}, "", "SIGHUP"},
		{[]string{"unlock", "native"}, s.reused.LockID, ""},
		{[]string{"unlock", "restic", "--lock", s.foreign.LockID, "--force"}, "", ""},
		{[]string{"unlock", "native", "--lock", s.foreign.LockID, "--force"}, s.foreign.LockID, ""},
	}
	for _, step := range steps {
		what := "lockwatch " + strings.Join(step.args, " ")
		out, sent := traced(t, env, bin, append([]string{"--config", cfg}, step.args...)...)
		s.assertUntouched(t, what, sent)
		if step.removed != "" && lockFile(s.repo, step.removed) {
			t.Errorf("%s did not remove lock %.8s:\n%s", what, step.removed, out)
		}
		if step.mustSaySo != "" && !strings.Contains(out, step.mustSaySo) {
			t.Errorf("%s did not say %q:\n%s", what, step.mustSaySo, out)
		}
	}

	// --all --yes: through restic (`restic unlock --remove-all`) and natively.
	for _, reader := range []string{"restic", "native"} {
		s := newLockedByOthers(t)
		what := "lockwatch unlock " + reader + " --all --yes"
		out, sent := traced(t, env, bin, "--config", s.config(t), "unlock", reader, "--all", "--yes")
		s.assertUntouched(t, what, sent)
		if lockFile(s.repo, s.reused.LockID) || lockFile(s.repo, s.foreign.LockID) {
			t.Errorf("%s left locks:\n%s", what, out)
		}
	}
}

// The contrast, which shows the tracing sees what it looks for: restic's
// own `unlock` probes a same-host lock's PID with SIGHUP, and so kills the
// process that took the dead restic's PID (restic-locks.md; restic 0.14
// through 0.18 all do).
func TestResticUnlockSignalsALocksProcess(t *testing.T) {
	s := newLockedByOthers(t)
	cmd := s.repo.Command(t.Context(), "unlock")
	out, sent := traced(t, cmd.Env, s.repo.Restic, "unlock")
	hup := false
	for _, sig := range sent {
		hup = hup || (sig.target == s.reusedBy.Process.Pid && sig.signal == "SIGHUP")
		if sig.target == s.foreignLocal.Process.Pid {
			t.Errorf("restic unlock signalled the PID of another host's lock: %s", sig.line)
		}
	}
	if !hup {
		t.Fatalf("strace saw no SIGHUP to PID %d from restic unlock (%s); signals seen: %+v\n%s", s.reusedBy.Process.Pid, demotest.ResticVersion(t), sent, out)
	}
	// sleep does not ignore SIGHUP: the probe killed it.
	waitFor(t, 10*time.Second, "the sleep that reused the PID to end after restic's SIGHUP", func() bool { return !demotest.Running(s.reusedBy) })
	if !demotest.Running(s.foreignLocal) {
		t.Error("the process with the other host's lock PID ended")
	}
}
