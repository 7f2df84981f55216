package main

import "fmt"

// Encoders for the NEON instructions Go's arm64 assembler does not know.
// Each computes the encoding from the fields of the Arm Architecture
// Reference Manual and checks its operands; text is the instruction in the
// operand order go tool objdump prints (Vm, Vn, Vd).

// threeSame encodes the "Advanced SIMD three same" class:
//
//	0 Q U 01110 size 1 Rm opcode 1 Rn Rd
func threeSame(u, opcode uint32, d, n, m Vec) (uint32, error) {
	if d.Arr != n.Arr || d.Arr != m.Arr {
		return 0, fmt.Errorf("arrangements differ: %v %v %v", d, n, m)
	}
	if d.Arr == D1 {
		return 0, fmt.Errorf("arrangement %v is reserved for vector compares", d.Arr)
	}
	if d.Reg > 31 || n.Reg > 31 || m.Reg > 31 {
		return 0, fmt.Errorf("register out of range: %v %v %v", d, n, m)
	}
	if u > 1 || opcode > 31 {
		return 0, fmt.Errorf("field out of range: U=%d opcode=%d", u, opcode)
	}
	return d.Arr.q()<<30 | u<<29 | 0b01110<<24 | d.Arr.size()<<22 | 1<<21 |
		uint32(m.Reg)<<16 | opcode<<11 | 1<<10 | uint32(n.Reg)<<5 | uint32(d.Reg), nil
}

// encCMHS encodes CMHS Vd, Vn, Vm: each element of d is all ones when the
// element of n is >= the element of m, unsigned.
func encCMHS(d, n, m Vec) (uint32, error) { return threeSame(1, 0b00111, d, n, m) }

// encCMHI encodes CMHI Vd, Vn, Vm: n > m, unsigned.
func encCMHI(d, n, m Vec) (uint32, error) { return threeSame(1, 0b00110, d, n, m) }

// vcmhs emits d = n >= m (unsigned), element-wise.
func (a *asm) vcmhs(d, n, m Vec) {
	enc, err := encCMHS(d, n, m)
	a.word(enc, err, fmt.Sprintf("VCMHS %v, %v, %v", m, n, d))
}

// vcmhi emits d = n > m (unsigned), element-wise.
func (a *asm) vcmhi(d, n, m Vec) {
	enc, err := encCMHI(d, n, m)
	a.word(enc, err, fmt.Sprintf("VCMHI %v, %v, %v", m, n, d))
}
