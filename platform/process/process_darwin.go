package process

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// szomb is SZOMB from <sys/proc.h>, which x/sys/unix does not export.
const szomb = 5

func lookup(pid int) (Info, error) {
	unknown := Info{PID: pid, Exists: true}
	if int64(pid) > math.MaxInt32 {
		return Info{PID: pid}, nil // pid_t is 32 bits; no process has this ID.
	}
	// Not unix.SysctlKinfoProc: for a PID with no process the kernel answers
	// with success and an empty record, which that helper turns into EIO,
	// indistinguishable from a real failure.
	buf, err := unix.SysctlRaw("kern.proc.pid", pid)
	switch {
	case errors.Is(err, unix.ESRCH):
		return Info{PID: pid}, nil
	case err != nil:
		return unknown, fmt.Errorf("process: sysctl kern.proc.pid %d: %w", pid, err)
	case len(buf) == 0:
		return Info{PID: pid}, nil
	case len(buf) < unix.SizeofKinfoProc:
		return unknown, fmt.Errorf("process: sysctl kern.proc.pid %d: short record (%d bytes)", pid, len(buf))
	}
	var kp unix.KinfoProc
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&kp)), unix.SizeofKinfoProc), buf)
	p := &kp.Proc

	// A zombie has exited and holds no locks; its PID only lingers until
	// the parent reaps it.
	if p.P_pid == 0 || p.P_stat == szomb {
		return Info{PID: pid}, nil
	}
	if int(p.P_pid) != pid {
		return unknown, fmt.Errorf("process: sysctl kern.proc.pid %d: answered for PID %d", pid, p.P_pid)
	}
	info := Info{PID: pid, Exists: true}
	if sec, nsec := p.P_starttime.Unix(); sec != 0 || nsec != 0 {
		info.StartTime = time.Unix(sec, nsec)
		info.start = uint64(sec)*1e6 + uint64(nsec/1e3)
	}
	comm := p.P_comm[:]
	if i := bytes.IndexByte(comm, 0); i >= 0 {
		comm = comm[:i]
	}
	info.Name = string(comm)
	return info, nil
}
