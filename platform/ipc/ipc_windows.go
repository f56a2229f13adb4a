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

// prepareDir creates dir and gives it a protected ACL that grants only this
// user and SYSTEM (inherited by what is created inside): what %LocalAppData%
// would pass on also admits Administrators, and Unix modes mean nothing here.
func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;GA;;;" + user.User.Sid.String() + ")(A;OICI;GA;;;SY)")
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}

func restrictSocket(string) error { return nil }

func nobodyListening(err error) bool { return errors.Is(err, windows.WSAECONNREFUSED) }

// checkPeer lets everyone in: Windows has no peer credentials for AF_UNIX
// sockets (no SO_PEERCRED). The directory's ACL (prepareDir) is the only
// defence: connecting needs access to the socket file inside it.
func checkPeer(*net.UnixConn) error { return nil }

// checkServer checks nothing, for the same reason as checkPeer.
func checkServer(*net.UnixConn, string) error { return nil }
