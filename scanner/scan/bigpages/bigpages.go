// Package bigpages writes very large test inputs cheaply and measures the
// peak memory of a child process, for the scan memory test and bench: a
// 100-megapixel PNG of a white page with one line of text, a GIF whose
// frames repeat one encoded frame (200 frames of 9000x9000 px in seconds),
// and the peak resident set size of a command.
package bigpages

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/png"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Text is the line drawn near the top left of every page: the default
// rules flag it (a classification marker and a large amount).
const Text = "TOP SECRET renewal $580.4 million"

// Page is a white w×h page with Text in 20 px letters at (100, 100).
func Page(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	small := image.NewRGBA(image.Rect(0, 0, 300, 20))
	draw.Draw(small, small.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: small, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(2, 15)}
	d.DrawString(Text)
	xdraw.NearestNeighbor.Scale(img, image.Rect(100, 100, 1000, 160), small, small.Bounds(), draw.Src, nil)
	return img
}

// WritePNG writes Page(w, h) as an RGB PNG.
func WritePNG(path string, w, h int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(f, Page(w, h)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteGIF writes a GIF of frames copies of Page(w, h), two colours: the
// frame is encoded once and its bytes repeated.
func WriteGIF(path string, w, h, frames int) error {
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.White, color.Black})
	draw.Draw(pal, pal.Bounds(), Page(w, h), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := gif.Encode(&buf, pal, &gif.Options{NumColors: 2}); err != nil {
		return err
	}
	b := buf.Bytes()
	// Header (13 bytes) and global colour table, then the frame (image
	// descriptor 0x2C and its data) up to the trailer 0x3B.
	head := 13
	if b[10]&0x80 != 0 {
		head += 3 << (b[10]&7 + 1)
	}
	if b[head] != 0x2c || b[len(b)-1] != 0x3b {
		return errors.New("bigpages: unexpected GIF layout")
	}
	frame := b[head : len(b)-1]
	var out bytes.Buffer
	out.Write(b[:head])
	for range frames {
		out.Write(frame)
	}
	out.WriteByte(0x3b)
	return os.WriteFile(path, out.Bytes(), 0o644)
}

// Peak is the peak memory of a command run by Run.
type Peak struct {
	// MainHWM is the command's own peak RSS (VmHWM), sampled every 10 ms
	// from /proc until it exits: the high-water mark only grows, so the
	// last sample misses at most the final 10 ms.
	// (rusage's ru_maxrss is not used: for a child started by a Go program
	// it includes the parent's resident memory at the fork.)
	MainHWM int64
	// TreeHWM is the sum of the last high-water marks of the command and
	// its direct children (OCR workers): an upper bound of the whole tree.
	TreeHWM int64
	Wall    time.Duration
}

func (p Peak) String() string {
	return fmt.Sprintf("scan process %d MB, with OCR workers ≤ %d MB, %.1f s", p.MainHWM>>20, p.TreeHWM>>20, p.Wall.Seconds())
}

// Run starts cmd, waits for it and measures its peak memory (Linux).
func Run(cmd *exec.Cmd) (Peak, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Peak{}, err
	}
	pid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var p Peak
	children := map[int]int64{}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			p.Wall = time.Since(start)
			p.TreeHWM = p.MainHWM
			for _, c := range children {
				p.TreeHWM += c
			}
			return p, err
		case <-tick.C:
			if h := hwm(pid); h > p.MainHWM {
				p.MainHWM = h
			}
			for _, c := range childPIDs(pid) {
				if h := hwm(c); h > children[c] {
					children[c] = h
				}
			}
		}
	}
}

// hwm reads VmHWM of a process in bytes, 0 if it is gone.
func hwm(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func childPIDs(pid int) []int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}
