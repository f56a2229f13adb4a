package process

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Windows waits for a process handle to be signalled (the process exited)
// in its thread pool: RegisterWaitForSingleObject, which x/sys/windows does
// not wrap, so it is called through kernel32 here. A watch costs a wait
// registration, not a thread.
var (
	kernel32                  = windows.NewLazySystemDLL("kernel32.dll")
	procRegisterWaitForSingle = kernel32.NewProc("RegisterWaitForSingleObject")
	procUnregisterWaitEx      = kernel32.NewProc("UnregisterWaitEx")
	exitCallback              = windows.NewCallback(onExit)
	exitWaits                 = map[uintptr]*ExitWatch{}
	exitWaitsMu               sync.Mutex
	nextExitWait              uintptr = 1
)

const wtExecuteOnlyOnce = 0x00000008

func watchExit(p Info) (*ExitWatch, error) {
	if uint64(p.PID) > math.MaxUint32 {
		return gone(), nil
	}
	access := uint32(windows.SYNCHRONIZE | windows.PROCESS_QUERY_LIMITED_INFORMATION)
	h, err := windows.OpenProcess(access, false, uint32(p.PID))
	switch {
	case errors.Is(err, windows.ERROR_INVALID_PARAMETER):
		return gone(), nil
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return nil, fmt.Errorf("%w: OpenProcess %d: %v", ErrNoExitWatch, p.PID, err)
	case err != nil:
		return nil, fmt.Errorf("process: OpenProcess %d: %w", p.PID, err)
	}
	// The handle holds on to the process it was opened for, even after
	// the PID is reused; make sure that is the process p described.
	var created, exited, kernel, user windows.Filetime
	var code uint32
	if windows.GetProcessTimes(h, &created, &exited, &kernel, &user) != nil ||
		uint64(created.HighDateTime)<<32|uint64(created.LowDateTime) != p.start ||
		windows.GetExitCodeProcess(h, &code) != nil || code != stillActive {
		windows.CloseHandle(h)
		return gone(), nil
	}

	w := newExitWatch()
	exitWaitsMu.Lock()
	id := nextExitWait
	nextExitWait++
	exitWaits[id] = w
	exitWaitsMu.Unlock()
	var wait windows.Handle
	r, _, err := procRegisterWaitForSingle.Call(uintptr(unsafe.Pointer(&wait)), uintptr(h), exitCallback, id, windows.INFINITE, wtExecuteOnlyOnce)
	if r == 0 {
		forgetExitWait(id)
		windows.CloseHandle(h)
		return nil, fmt.Errorf("process: RegisterWaitForSingleObject for %d: %w", p.PID, err)
	}
	w.stop = func() {
		// INVALID_HANDLE_VALUE: return once a callback under way has ended.
		procUnregisterWaitEx.Call(uintptr(wait), uintptr(windows.InvalidHandle))
		forgetExitWait(id)
		windows.CloseHandle(h)
	}
	return w, nil
}

// onExit runs in the thread pool when a watched process exits.
func onExit(id, timedOut uintptr) uintptr {
	if w := forgetExitWait(id); w != nil {
		close(w.exited)
	}
	return 0
}

func forgetExitWait(id uintptr) *ExitWatch {
	exitWaitsMu.Lock()
	defer exitWaitsMu.Unlock()
	w := exitWaits[id]
	delete(exitWaits, id)
	return w
}
