package install

import (
	"context"

	"golang.org/x/sys/windows"
)

// Windows has no SIGTERM to send to another process, and the per-user
// instance started from the Run key has no service manager to ask. So such
// an instance creates a named event in its session; Stop (and Uninstall)
// set it, which cancels run, and Status asks whether the event exists,
// which it does exactly while an instance holds it.
//
// Only compiled here (cross-vetted with GOOS=windows), never run.

// stopEventName is the session-local event an instance called name waits on.
func stopEventName(name string) string { return `Local\` + name + "-service-stop" }

func withStopRequest(ctx context.Context, name string) (context.Context, func()) {
	ptr, err := windows.UTF16PtrFromString(stopEventName(name))
	if err != nil {
		return ctx, func() {}
	}
	// Manual reset, so every instance that waits sees the request. With
	// ERROR_ALREADY_EXISTS (another instance runs) the handle is still valid.
	h, _ := windows.CreateEvent(nil, 1, 0, ptr)
	if h == 0 {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Poll rather than wait forever: the handle must not be closed
		// while a wait on it is in progress.
		for ctx.Err() == nil {
			if ev, _ := windows.WaitForSingleObject(h, 500); ev == windows.WAIT_OBJECT_0 {
				cancel()
				return
			}
		}
	}()
	return ctx, func() {
		cancel()
		<-done
		windows.CloseHandle(h)
	}
}

// requestStop sets the stop event of a running per-user instance. It
// reports false when no instance holds the event, i.e. none is running.
func requestStop() (bool, error) {
	ptr, err := windows.UTF16PtrFromString(stopEventName(ServiceName))
	if err != nil {
		return false, err
	}
	h, err := windows.OpenEvent(windows.EVENT_MODIFY_STATE, false, ptr)
	if err != nil {
		if err == windows.ERROR_FILE_NOT_FOUND {
			return false, nil
		}
		return false, err
	}
	defer windows.CloseHandle(h)
	return true, windows.SetEvent(h)
}

// instanceRunning reports whether a per-user instance holds the stop event.
func instanceRunning() bool {
	ptr, err := windows.UTF16PtrFromString(stopEventName(ServiceName))
	if err != nil {
		return false
	}
	h, err := windows.OpenEvent(windows.SYNCHRONIZE, false, ptr)
	if err != nil {
		// Any answer but "no such object" means it exists.
		return err != windows.ERROR_FILE_NOT_FOUND
	}
	windows.CloseHandle(h)
	return true
}
