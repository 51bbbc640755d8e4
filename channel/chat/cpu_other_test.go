//go:build !unix

package chat_test

import "time"

// processCPU is not measured on this system: the benchmarks report no CPU figures.
func processCPU() time.Duration { return 0 }
