//go:build unix

package chat_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) this process has used so far: a cost per
// message that, unlike a rate, holds when other work shares the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
