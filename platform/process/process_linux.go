package process

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of starttime in /proc/<pid>/stat. Only
// sysconf(_SC_CLK_TCK) would tell, which needs cgo; but it is 100 on every
// architecture Go supports on Linux (the exceptions, alpha and ia64, are not
// Go ports).
const clockTicks = 100

func lookup(pid int) (Info, error) {
	unknown := Info{PID: pid, Exists: true}
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	stat, err := os.ReadFile(path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH):
		// ESRCH: the process went away while we were reading.
		if procHidden() {
			return unknown, fmt.Errorf("process: cannot tell whether PID %d exists: /proc does not show other users' processes", pid)
		}
		return Info{PID: pid}, nil
	case errors.Is(err, fs.ErrPermission):
		// hidepid=1 lets us see that the process is there, nothing more.
		return unknown, nil
	default:
		return unknown, fmt.Errorf("process: %w", err)
	}

	name, fields, ok := parseStat(stat)
	if !ok || len(fields) < 20 {
		return unknown, fmt.Errorf("process: cannot parse %s: %q", path, stat)
	}
	// A zombie (Z) or dying (X) process has exited and holds no locks; its
	// PID only lingers until the parent reaps it.
	if fields[0] == "Z" || fields[0] == "X" {
		return Info{PID: pid}, nil
	}
	info := Info{PID: pid, Exists: true, Name: name}
	// fields[0] is stat's field 3, so field 22 (starttime) is fields[19].
	if ticks, err := strconv.ParseInt(fields[19], 10, 64); err == nil {
		info.StartTime = bootToWall(ticks)
		info.start = uint64(ticks)
	}
	return info, nil
}

// parseStat splits a /proc/<pid>/stat line into the command name and the
// fields after it. The name may itself contain spaces and parentheses, so it
// ends at the last ')', not the first.
func parseStat(stat []byte) (name string, fields []string, ok bool) {
	open := bytes.IndexByte(stat, '(')
	closing := bytes.LastIndexByte(stat, ')')
	if open < 0 || closing < open {
		return "", nil, false
	}
	for _, f := range bytes.Fields(stat[closing+1:]) {
		fields = append(fields, string(f))
	}
	return string(stat[open+1 : closing]), fields, true
}

// bootToWall turns a start time in clock ticks since boot into wall-clock
// time. /proc/stat's btime is not used: it has whole-second precision and is
// off by however much the wall clock has been stepped since boot. Instead we
// measure the process's age against /proc/uptime, which counts in the same
// clock as starttime (CLOCK_BOOTTIME, including suspend) at centisecond
// precision, and subtract the age from the current time.
func bootToWall(ticks int64) time.Time {
	before := time.Now()
	b, err := os.ReadFile("/proc/uptime")
	after := time.Now()
	if err != nil {
		return time.Time{}
	}
	first, _, _ := bytes.Cut(b, []byte(" "))
	// ParseDuration is exact for "12345.67s"; a float64 detour is not.
	uptime, err := time.ParseDuration(string(bytes.TrimSpace(first)) + "s")
	if err != nil {
		return time.Time{}
	}
	now := before.Add(after.Sub(before) / 2)
	age := uptime - time.Duration(ticks)*time.Second/clockTicks
	// Round(0) drops the monotonic reading: StartTime is compared with wall
	// times from lock files, and a monotonic reading would make comparisons
	// with times taken in this process silently use a different clock.
	return now.Add(-age).Round(0)
}

// procHidden reports whether a missing /proc/<pid> proves nothing: /proc
// mounted with hidepid=invisible hides other users' processes, and without
// /proc at all every PID looks missing. PID 1 always exists and is normally
// root's, so not seeing it means we are in one of those cases.
func procHidden() bool {
	_, err := os.Stat("/proc/1")
	return err != nil
}
