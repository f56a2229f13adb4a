package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// readingStdin reports whether a thread of process pid is blocked reading
// a pipe on its fd 0, as /proc shows it: wchan is the kernel's pipe read
// and the system call's first argument, the fd, is 0. known is false where
// /proc cannot tell (no such files).
func readingStdin(pid int) (reading, known bool) {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	for _, task := range tasks {
		wchan, err1 := os.ReadFile(filepath.Join(task, "wchan"))
		call, err2 := os.ReadFile(filepath.Join(task, "syscall"))
		if err1 != nil || err2 != nil {
			continue
		}
		known = true
		if f := strings.Fields(string(call)); strings.HasSuffix(string(wchan), "pipe_read") && len(f) > 1 && f[1] == "0x0" {
			return true, true
		}
	}
	return false, known
}
