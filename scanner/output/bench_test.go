//go:build linux

package output

import (
	"context"
	"fmt"
	"github.com/demoguard/demoguard/scanner/budget"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/capture/xtest"
)

// targetFPS is the target for a 1080p feed into the window and
// into a file.
const targetFPS = 25

// BenchmarkFeed1080p writes 1080p frames at 30 fps for a fixed time (env
// DEMOGUARD_BENCH_SECONDS, default 10) into: nothing (the frame loop
// alone: the baseline), the full-screen window on a second Xvfb monitor,
// and an H.264 file. The screen "scrolls" (every frame new). It reports the
// rate of new frames delivered, drops, this process's CPU (getrusage: the
// writer and Write's copy), ffmpeg's and Xvfb's CPU (/proc/PID/stat), in
// cores. Run with -benchtime 1x; the figures say which target is missed.
func BenchmarkFeed1080p(b *testing.B) {
	secs := 10.0
	if s, err := strconv.ParseFloat(os.Getenv("DEMOGUARD_BENCH_SECONDS"), 64); err == nil && s > 0 {
		secs = s
	}
	const w, h, fps = 1920, 1080, 30
	frames := scrollFrames(w, h, 30)
	display, xvfbPID := startBenchXvfb(b)
	mons := []image.Rectangle{image.Rect(0, 0, 1920, 1080), image.Rect(1920, 0, 3840, 1080)}
	dir := b.TempDir()

	for _, name := range []string{"none", "window", "file"} {
		b.Run(name, func(b *testing.B) {
			var out Output
			var err error
			switch name {
			case "window":
				out, err = Open(context.Background(), Target{Kind: KindWindow, Monitor: 1}, Options{Width: w, Height: h, Display: display, Monitors: mons})
			case "file":
				out, err = Open(context.Background(), Target{Kind: KindFile, Path: filepath.Join(dir, "bench.mkv"), Monitor: -1}, Options{Width: w, Height: h, FPS: fps})
			}
			if err != nil {
				b.Fatal(err)
			}
			var childPID int
			if f, ok := out.(*ffmpegOut); ok {
				childPID = int(f.pid.Load())
			}
			xvfb0 := procCPU(xvfbPID)
			child0 := procCPU(childPID)
			var childLast time.Duration
			self0 := selfCPU()
			start := time.Now()
			tick := time.NewTicker(time.Second / fps)
			n := 0
			for time.Since(start) < time.Duration(secs*float64(time.Second)) {
				<-tick.C
				if out != nil {
					out.Write(frames[n%len(frames)], time.Since(start))
				}
				n++
				if childPID != 0 && n%fps == 0 {
					childLast = procCPU(childPID) - child0 // ffmpeg's ticks vanish when it exits
				}
			}
			tick.Stop()
			elapsed := time.Since(start)
			self := selfCPU() - self0
			xvfb := procCPU(xvfbPID) - xvfb0
			var st Stats
			if out != nil {
				st = out.Stats()
				if childPID != 0 {
					childLast = procCPU(childPID) - child0
				}
				if err := out.Close(); err != nil {
					b.Errorf("close: %v", err)
				}
			}
			sec := elapsed.Seconds()
			fresh := float64(n) / sec
			if out != nil {
				fresh = float64(st.Written-st.Repeated) / sec
			}
			b.ReportMetric(float64(n)/sec, "in-fps")
			b.ReportMetric(fresh, "out-fps")
			b.ReportMetric(float64(st.Dropped), "dropped")
			b.ReportMetric(self.Seconds()/sec, "self-cores")
			if name == "file" {
				b.ReportMetric(childLast.Seconds()/sec, "ffmpeg-cores")
			}
			if name == "window" {
				b.ReportMetric(xvfb.Seconds()/sec, "xvfb-cores")
			}
			verdict := "met"
			if out != nil && fresh < targetFPS {
				verdict = "MISSED"
			}
			if out != nil {
				fmt.Printf("feed 1080p %-6s: %.1f new frames/s of %.1f offered (target ≥%d fps: %s), %d dropped, %d repeated, demoguard %.2f cores, ffmpeg %.2f cores, Xvfb %.2f cores, over %.1fs\n",
					name, fresh, float64(n)/sec, targetFPS, verdict, st.Dropped, st.Repeated, self.Seconds()/sec, childLast.Seconds()/sec, xvfb.Seconds()/sec, sec)
			} else {
				fmt.Printf("feed 1080p %-6s: frame loop alone, demoguard %.2f cores, over %.1fs\n", name, self.Seconds()/sec, sec)
			}
		})
	}
}

// scrollFrames are n frames of a "terminal" scrolling one text-like line
// per frame: every frame differs from the last over the whole screen.
func scrollFrames(w, h, n int) []*image.RGBA {
	base := image.NewRGBA(image.Rect(0, 0, w, h+n*18))
	fillRGBA(base, base.Rect, color.RGBA{16, 16, 24, 255}, image.Rectangle{})
	for y := 4; y+12 < base.Rect.Dy(); y += 18 {
		x := 8
		for k := 0; x < w-40; k++ {
			cw := 6 + (y*7+k*13)%30
			fillRGBA(base, image.Rect(x, y, x+cw, y+12), color.RGBA{200, 220, 200, 255}, image.Rectangle{})
			x += cw + 8
		}
	}
	fs := make([]*image.RGBA, n)
	for i := range fs {
		fs[i] = base.SubImage(image.Rect(0, i*18, w, i*18+h)).(*image.RGBA)
		c := image.NewRGBA(image.Rect(0, 0, w, h))
		copyRGBA(c, fs[i])
		fs[i] = c
	}
	return fs
}

// startBenchXvfb starts a 3840×1080 Xvfb (two 1920×1080 monitors side by
// side) and finds its pid (our child running "Xvfb :N"), to read its CPU
// time.
func startBenchXvfb(b *testing.B) (string, int) {
	display := xtest.StartXvfb(b, "3840x1080x24")
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		args := strings.Split(string(cmd), "\x00")
		if len(args) > 1 && filepath.Base(args[0]) == "Xvfb" && args[1] == display && ppid(pid) == os.Getpid() {
			return display, pid
		}
	}
	b.Logf("Xvfb %s: pid not found, its CPU is not reported", display)
	return display, 0
}

func ppid(pid int) int {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the CPU time pid used so far (0 if gone).
func procCPU(pid int) time.Duration {
	d, _ := budget.PIDCPU(pid)
	return d
}
