package main

import "fmt"

// Reg is a general-purpose register R0..R30. R18 (platform), R27 (REGTMP),
// R28 (g) and R29 (frame pointer) are never handed out by the kernel code.
type Reg uint8

func (r Reg) String() string { return fmt.Sprintf("R%d", uint8(r)) }

// Imm is an immediate operand.
type Imm int64

func (i Imm) String() string { return fmt.Sprintf("$%d", int64(i)) }

// Mem is a memory operand off(base).
type Mem struct {
	Base Reg
	Off  int
}

func (m Mem) String() string {
	if m.Off == 0 {
		return fmt.Sprintf("(%v)", m.Base)
	}
	return fmt.Sprintf("%d(%v)", m.Off, m.Base)
}

// VReg is a SIMD register V0..V31.
type VReg uint8

// Arr is a vector arrangement.
type Arr uint8

// Arrangements. The encoders derive the size and Q fields from them.
const (
	B8 Arr = iota
	B16
	H4
	H8
	S2
	S4
	D1
	D2
)

var arrNames = [...]string{"B8", "B16", "H4", "H8", "S2", "S4", "D1", "D2"}

func (a Arr) String() string { return arrNames[a] }

// size returns the element size field (0 bytes .. 3 doublewords) and q the
// 128-bit flag of the arrangement.
func (a Arr) size() uint32 { return uint32(a) / 2 }
func (a Arr) q() uint32    { return uint32(a) % 2 }

// Vec is a register with an arrangement, such as V3.D2.
type Vec struct {
	Reg VReg
	Arr Arr
}

func (v Vec) String() string { return fmt.Sprintf("V%d.%v", uint8(v.Reg), v.Arr) }

// Typed views of a register: an arrangement typo is a compile error.
func (v VReg) B8() Vec  { return Vec{v, B8} }
func (v VReg) B16() Vec { return Vec{v, B16} }
func (v VReg) H8() Vec  { return Vec{v, H8} }
func (v VReg) S4() Vec  { return Vec{v, S4} }
func (v VReg) D2() Vec  { return Vec{v, D2} }

// DLane returns the 64-bit element i of the register, such as V3.D[1].
func (v VReg) DLane(i int) Lane { return Lane{v, "D", i} }

// Lane is one element of a SIMD register.
type Lane struct {
	Reg   VReg
	Kind  string
	Index int
}

func (l Lane) String() string { return fmt.Sprintf("V%d.%s[%d]", uint8(l.Reg), l.Kind, l.Index) }

// List is a register list for VLD1/VST1, such as [V0.D2, V1.D2].
type List []Vec

func (l List) String() string {
	s := "["
	for i, v := range l {
		if i > 0 {
			s += ", "
		}
		s += v.String()
	}
	return s + "]"
}
