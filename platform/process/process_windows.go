package process

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/windows"
)

// stillActive is STILL_ACTIVE, the exit code of a process that has not
// exited; x/sys/windows does not export it.
const stillActive = 259

func lookup(pid int) (Info, error) {
	unknown := Info{PID: pid, Exists: true}
	if uint64(pid) > math.MaxUint32 {
		return Info{PID: pid}, nil // PIDs are DWORDs; no process has this ID.
	}
	// Limited information is the one right Windows grants on nearly every
	// process, including other users' and elevated ones.
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	switch {
	case errors.Is(err, windows.ERROR_INVALID_PARAMETER):
		return Info{PID: pid}, nil
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		// Only an existing process can refuse us.
		return unknown, nil
	case err != nil:
		return unknown, fmt.Errorf("process: OpenProcess %d: %w", pid, err)
	}
	defer windows.CloseHandle(h)

	// An exited process stays openable for as long as anyone holds a handle
	// to it. A process that exited with code 259 is taken as alive, which is
	// the safe mistake.
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return unknown, fmt.Errorf("process: GetExitCodeProcess %d: %w", pid, err)
	}
	if code != stillActive {
		return Info{PID: pid}, nil
	}

	info := Info{PID: pid, Exists: true}
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err == nil {
		info.StartTime = time.Unix(0, created.Nanoseconds())
		info.start = uint64(created.HighDateTime)<<32 | uint64(created.LowDateTime)
	}
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err == nil {
		name := filepath.Base(windows.UTF16ToString(buf[:n]))
		if ext := filepath.Ext(name); strings.EqualFold(ext, ".exe") {
			name = name[:len(name)-len(ext)]
		}
		info.Name = name
	}
	return info, nil
}
