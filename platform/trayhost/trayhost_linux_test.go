package trayhost

import (
	"bufio"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"
)

// On a real private session bus: no tray host until something owns the
// StatusNotifierWatcher name, as a panel does.
func TestAvailableFollowsTheWatcherName(t *testing.T) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("needs dbus-daemon (apt-get install dbus)")
	}
	bus := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, _ := bus.StdoutPipe()
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	// SIGTERM: dbus-daemon then removes its socket from /tmp.
	t.Cleanup(func() { bus.Process.Signal(syscall.SIGTERM); bus.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(addr))

	var missing *Missing
	if err := Available(); !errors.As(err, &missing) || missing.What != NoHost || !strings.Contains(err.Error(), "AppIndicator") {
		t.Errorf("empty bus: Available() = %v", err)
	}
	panel, err := dbus.Connect(strings.TrimSpace(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer panel.Close()
	if reply, err := panel.RequestName(Watcher, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("taking the watcher name: %v %v", reply, err)
	}
	if err := Available(); err != nil {
		t.Errorf("with a watcher: Available() = %v", err)
	}
	// A bus that does not answer.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
	if err := Available(); !errors.As(err, &missing) || missing.What != NoBus || missing.Err == nil {
		t.Errorf("no bus: Available() = %v", err)
	}
}
