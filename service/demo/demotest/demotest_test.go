package demotest

import (
	"os"
	"os/exec"
	"testing"
)

// TestResticUnderTest says which restic the suite drives, and checks that
// LOCKWATCH_TEST_RESTIC reaches configs that name plain "restic" too:
// a second pass that quietly ran the first pass's restic would prove nothing.
func TestResticUnderTest(t *testing.T) {
	path := Restic(t)
	t.Logf("driving %s (restic %s)", path, ResticVersion(t))
	if os.Getenv(ResticEnv) == "" {
		return
	}
	onPath, err := exec.LookPath("restic")
	if err != nil {
		t.Fatalf("%s is set but no restic is on PATH: %v", ResticEnv, err)
	}
	if same, err := sameFile(onPath, path); err != nil || !same {
		t.Errorf("%s=%s, but PATH finds %s first: tests whose config says restic = \"restic\" would drive another version", ResticEnv, path, onPath)
	}
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}
