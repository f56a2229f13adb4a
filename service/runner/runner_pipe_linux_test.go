package runner_test

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lockwatch/lockwatch/service/demo/demotest"
	"github.com/lockwatch/lockwatch/service/runner"
)

// restic 0.18+ removes its lock on SIGINT during `backup --stdin` but then
// waits for its stdin to end; 0.14 exits. Whichever it does, the run says
// what really happened: no warning about a lock that is not there.
func TestStoppedBackupOfAPipeSaysWhatHappened(t *testing.T) {
	e := setup(t, "off")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	sigs := make(chan os.Signal, 1)
	done := make(chan outcome, 1)
	const grace = 2 * time.Second
	go func() { done <- e.exec(t, runner.Options{Command: backup(e), Stdin: r, Signals: sigs, Grace: grace}) }()
	// restic reads stdin only once it holds its lock: once the pipe is
	// drained (TIOCINQ, as FIONREAD, counts the bytes in it) it is
	// archiving, and handles SIGINT by removing its lock.
	if _, err := w.WriteString("the first few bytes\n"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n, err := unix.IoctlGetInt(int(w.Fd()), unix.TIOCINQ); err == nil && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("restic did not read its stdin within 30s")
		}
	}
	sigs <- syscall.SIGINT
	out := waitDone(t, done, 20*time.Second)
	if ids, _ := e.repo.Locks(); len(ids) != 0 {
		t.Errorf("locks left after SIGINT: %v", ids)
	}
	killed := strings.Contains(out.run.Summary, "killed")
	t.Logf("restic %s: %s", demotest.ResticVersion(t), out.run.Summary)
	switch {
	case strings.Contains(out.log, "may leave its lock behind"):
		t.Errorf("lockwatch warned of a lock left behind, but restic had removed it: %s", out.log)
	case killed && !strings.Contains(out.run.Summary, "removed its lock but did not exit; killed it after 2s"):
		t.Errorf("killed, but the summary does not say restic had removed its lock: %q", out.run.Summary)
	case !killed && !strings.Contains(out.run.Summary, "stopped by SIGINT"):
		t.Errorf("summary %q", out.run.Summary)
	}
	if out.code == 0 || out.run.Result != runner.ResultFailed {
		t.Errorf("exit %d, %+v", out.code, out.run)
	}
	e.recorded(t, out.run)
}
