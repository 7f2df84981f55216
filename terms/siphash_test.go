package terms

import "testing"

// The first vectors of the SipHash-2-4 paper's reference test (key 00..0f,
// message 00..n-1), read as little-endian 64-bit words.
func TestSipHashVectors(t *testing.T) {
	want := []uint64{
		0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
		0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
		0x93f5f5799a932462, 0x9e0082df0ba9e4b0,
	}
	k0, k1 := uint64(0x0706050403020100), uint64(0x0f0e0d0c0b0a0908)
	msg := make([]byte, 0, 16)
	for n, w := range want {
		if got := sip24(k0, k1, msg); got != w {
			t.Errorf("len %d: got %#016x, want %#016x", n, got, w)
		}
		msg = append(msg, byte(n))
	}
}
