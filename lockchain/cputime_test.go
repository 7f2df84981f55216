//go:build linux || darwin

package lockchain

import (
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time (user and system, every thread) the
// process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time used since start per receipt and per
// epoch: a seal mostly waits for fsync, so its wall time overstates what
// it takes from the pipeline's cores.
func reportCPU(b *testing.B, start time.Duration, receiptsPerOp, epochsPerOp int) {
	cpu := float64(processCPU() - start)
	if receiptsPerOp > 0 {
		b.ReportMetric(cpu/float64(b.N)/float64(receiptsPerOp), "cpu-ns/receipt")
	}
	b.ReportMetric(cpu/float64(b.N)/float64(epochsPerOp), "cpu-ns/epoch")
}
