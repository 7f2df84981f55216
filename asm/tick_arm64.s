//go:build !purego

#include "textflag.h"

// func Ticks() uint64
TEXT ·Ticks(SB), NOSPLIT|NOFRAME, $0-8
	ISB	$15
	MRS	CNTVCT_EL0, R0
	MOVD	R0, ret+0(FP)
	RET

// func cntfrq() uint64
TEXT ·cntfrq(SB), NOSPLIT|NOFRAME, $0-8
	MRS	CNTFRQ_EL0, R0
	MOVD	R0, ret+0(FP)
	RET
