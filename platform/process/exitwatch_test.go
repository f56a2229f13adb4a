package process

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// The test binary itself is the process watched here, started again as a
// child that waits until it is killed: it runs wherever the tests do, on
// Windows and under Wine (make wine-test) as on Linux.
const childEnv = "LOCKWATCH_PROCESS_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		time.Sleep(10 * time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func startChild(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func TestExitWatchOfAChild(t *testing.T) {
	child := startChild(t)
	p, err := Lookup(child.Process.Pid)
	if err != nil || !p.Exists || p.start == 0 {
		t.Fatalf("Lookup(child) = %+v, %v", p, err)
	}
	w, err := WatchExit(p)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	select {
	case <-w.Exited():
		t.Fatal("exit reported while the child runs")
	default:
	}
	child.Process.Kill()
	select {
	case <-w.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("the child's exit was not reported within 10s")
	}

	// Another start under the same PID is another process: gone at once.
	successor := p
	successor.start++
	w2, err := WatchExit(successor)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	select {
	case <-w2.Exited():
	default:
		t.Error("a process with another start was watched as the one judged")
	}
}
