package ring

// cacheLine is the distance kept between state written by different
// goroutines. 128 bytes covers the 128-byte lines of some arm64 cores and
// the adjacent-line prefetcher of x86, which fetches 64-byte lines in pairs.
const cacheLine = 128
