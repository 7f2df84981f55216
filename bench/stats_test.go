package bench

import (
	"math/rand/v2"
	"testing"
)

func TestPercentileNearestRank(t *testing.T) {
	// The textbook nearest-rank example.
	data := []uint64{15, 20, 35, 40, 50}
	for _, c := range []struct {
		p    float64
		want uint64
	}{{0, 15}, {5, 15}, {20, 15}, {30, 20}, {40, 20}, {50, 35}, {99, 50}, {100, 50}} {
		if got := Percentile(data, c.p); got != c.want {
			t.Errorf("P%v(%v) = %d, want %d", c.p, data, got, c.want)
		}
	}
}

func TestPercentileOneToHundred(t *testing.T) {
	data := make([]uint64, 100)
	for i := range data {
		data[i] = uint64(i + 1)
	}
	for _, p := range []float64{1, 10, 50, 90, 99, 100} {
		if got := Percentile(data, p); got != uint64(p) {
			t.Errorf("P%v of 1..100 = %d, want %d", p, got, uint64(p))
		}
	}
	// 99.5% of 100 samples is rank 100.
	if got := Percentile(data, 99.5); got != 100 {
		t.Errorf("P99.5 of 1..100 = %d, want 100", got)
	}
}

func TestPercentileEdges(t *testing.T) {
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("P50 of nothing = %d, want 0", got)
	}
	if got := Percentile([]uint64{7}, 99); got != 7 {
		t.Errorf("P99 of one sample = %d, want 7", got)
	}
	// 1000 samples, one outlier: P99 must not see it, the maximum must.
	data := make([]uint64, 1000)
	for i := range data {
		data[i] = 10
	}
	data[0] = 1e6
	s := Summarize(data)
	if s.P50 != 10 || s.P99 != 10 || s.Max != 1e6 || s.Min != 10 || s.N != 1000 {
		t.Errorf("Summarize with one outlier = %+v", s)
	}
}

func TestSummarizeUnsorted(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]uint64, 200)
	for i := range data {
		data[i] = uint64(i + 1)
	}
	r.Shuffle(len(data), func(i, j int) { data[i], data[j] = data[j], data[i] })
	s := Summarize(data)
	if s.Min != 1 || s.P50 != 100 || s.P99 != 198 || s.Max != 200 {
		t.Errorf("Summarize(shuffled 1..200) = %+v, want min 1, p50 100, p99 198, max 200", s)
	}
}

// TestDistribution checks the percentiles 0..100 against Percentile and
// Summarize, divided per hook, on shuffled and on tied data.
func TestDistribution(t *testing.T) {
	data := make([]uint64, 200)
	for i := range data {
		data[i] = uint64(i + 1)
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(data), func(i, j int) { data[i], data[j] = data[j], data[i] })
	s := Summarize(data) // sorts
	d := Distribution(data, 4)
	if len(d) != DistributionPoints {
		t.Fatalf("%d points, want %d", len(d), DistributionPoints)
	}
	for p, v := range d {
		if want := float64(Percentile(data, float64(p))) / 4; v != want {
			t.Errorf("point %d = %v, want %v", p, v, want)
		}
	}
	if d[0] != float64(s.Min)/4 || d[50] != float64(s.P50)/4 || d[99] != float64(s.P99)/4 || d[100] != float64(s.Max)/4 {
		t.Errorf("min, p50, p99, max = %v %v %v %v; summary %+v", d[0], d[50], d[99], d[100], s)
	}
	// 1..200: percentile p is 2p by nearest rank.
	if d[10] != 20.0/4 || d[75] != 150.0/4 {
		t.Errorf("p10 %v, p75 %v; want 5 and 37.5", d[10], d[75])
	}
	if got := Distribution(nil, 1); got != nil {
		t.Errorf("Distribution(nil) = %v, want nil", got)
	}
	one := Distribution([]uint64{7}, 1)
	for p, v := range one {
		if v != 7 {
			t.Fatalf("one sample: point %d = %v, want 7", p, v)
		}
	}
}
