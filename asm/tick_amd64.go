//go:build !purego

package asm

// rdtscp reads the TSC with RDTSCP; LFENCE.
func rdtscp() uint64

// rdtscFenced reads the TSC with LFENCE; RDTSC; LFENCE, for CPUs without
// RDTSCP.
func rdtscFenced() uint64

// cpuid executes CPUID with the given leaf and subleaf 0.
func cpuid(leaf uint32) (eax, ebx, ecx, edx uint32)

// hasRDTSCP is CPUID 0x80000001 EDX bit 27, read once at init (a feature bit,
// not a measurement).
var hasRDTSCP = func() bool {
	if max, _, _, _ := cpuid(0x80000000); max < 0x80000001 {
		return false
	}
	_, _, _, edx := cpuid(0x80000001)
	return edx&(1<<27) != 0
}()

// Ticks returns the current value of the tick counter: the TSC.
func Ticks() uint64 {
	if hasRDTSCP {
		return rdtscp()
	}
	return rdtscFenced()
}

// nominalFrequency returns the TSC frequency when the CPU or the hypervisor
// reports it. Leaf 0x16 is not used: its base frequency is the core clock,
// which need not be the TSC's.
func nominalFrequency() (uint64, string, bool) {
	maxLeaf, _, _, _ := cpuid(0)
	if maxLeaf >= 0x15 {
		den, num, crystal, _ := cpuid(0x15)
		if den != 0 && num != 0 && crystal != 0 {
			return uint64(crystal) * uint64(num) / uint64(den), SourceCPUIDLeaf15, true
		}
	}
	// Hypervisors (VMware's convention, followed by KVM and others) may report
	// the guest's TSC frequency in kHz in leaf 0x40000010 EAX.
	if _, _, ecx, _ := cpuid(1); ecx&(1<<31) != 0 {
		if hvMax, _, _, _ := cpuid(0x40000000); hvMax >= 0x40000010 && hvMax < 0x40010000 {
			if khz, _, _, _ := cpuid(0x40000010); khz != 0 {
				return uint64(khz) * 1000, SourceHypervisorLeaf, true
			}
		}
	}
	return 0, "", false
}
