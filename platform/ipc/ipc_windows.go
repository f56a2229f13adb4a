package ipc

import (
	"errors"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"

	"github.com/lockwatch/lockwatch/platform/paths"
)

func socketPath() (string, error) {
	dir, err := paths.StateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "lockwatch.sock"), nil
}

// prepareDir only creates dir: it inherits the ACL of %LocalAppData%, which
// grants access to the user, SYSTEM and Administrators only. Unix modes mean
// nothing here.
func prepareDir(dir string) error { return os.MkdirAll(dir, 0o700) }

func restrictSocket(string) error { return nil }

func nobodyListening(err error) bool { return errors.Is(err, windows.WSAECONNREFUSED) }

// checkPeer lets everyone in: Windows has no peer credentials for AF_UNIX
// sockets (no SO_PEERCRED). The directory's ACL under %LocalAppData% is the
// only defence, so SocketPath must stay there.
func checkPeer(*net.UnixConn) error { return nil }
