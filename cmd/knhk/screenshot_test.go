package main

import (
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatusPageScreenshot renders the status page of a running knhk
// serve in headless Chromium and checks the screenshot is not blank: the
// page's colours are there, not one flat colour. It runs when
// KNHK_CHROMIUM names the browser (CI installs Debian's chromium and sets
// it; see .ci/run); KNHK_SCREENSHOT, when set, is where the PNG is kept.
func TestStatusPageScreenshot(t *testing.T) {
	browser := os.Getenv("KNHK_CHROMIUM")
	if browser == "" {
		t.Skip("KNHK_CHROMIUM is not set: no browser to render the status page with (.ci/run sets it)")
	}
	dir := t.TempDir()
	s := startServe(t, nil, "--out", os.DevNull, "--lockchain", filepath.Join(dir, "chain"))
	waitRecord(t, s.stderr, "the input ended; serving until SIGTERM", 1)
	shot := os.Getenv("KNHK_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(dir, "status.png")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1280,1400", "--screenshot="+shot,
		"http://"+s.addr+"/")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, 0, s.stop(), s.stderr.String())

	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	colours, background := paletteOf(img)
	b := img.Bounds()
	t.Logf("%s: %dx%d, %d colours, %.1f%% of the pixels not the background", shot, b.Dx(), b.Dy(), len(colours), 100-100*background)
	assert.Greater(t, len(colours), 16, "a page of text and tables has many colours; a blank one has one")
	assert.Less(t, background, 0.98, "more than the background is drawn")
}

// paletteOf returns the distinct colours of img and the share of its
// pixels that have the most common one.
func paletteOf(img image.Image) (map[[4]uint32]int, float64) {
	colours := map[[4]uint32]int{}
	b := img.Bounds()
	top := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			k := [4]uint32{r, g, bl, a}
			colours[k]++
			top = max(top, colours[k])
		}
	}
	return colours, float64(top) / float64(b.Dx()*b.Dy())
}
