// Command bench compares `demoguard scan` on recordings with the way a user
// would script it without demoguard: `ffmpeg -vf fps=1` to PNGs, the
// tesseract CLI on each (one at a time, OMP_THREAD_LIMIT=1), exact matching
// of the planted texts in its output. Both run on the same recordings in
// the same invocation, one after the other, so the figures are side by side.
// It also times the redacted re-encode on its own.
//
//	go run ./scanner/video/bench -bin bin/demoguard
//
// Recordings (rendered from the corpus generator with ffmpeg, H.264 at a
// talk's bitrate): "talk" is talk-like (a slide change every 30 s, two
// notifications a minute), "dense" is the accuracy test's recording.
//
// Recall: a planted item counts for demoguard when an exposure of its rule
// overlaps its box; "exact" when its start and end are also within one
// frame of the truth. For the naive run an item counts when its text occurs
// in the OCR of a sampled frame within its span; its times are those of the
// samples, so it is "exact" only if both sampled edges happen to fall
// within a frame of the truth.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/internal/corpus"
	"github.com/demoguard/demoguard/scanner/video"
	"github.com/demoguard/demoguard/scanner/video/videotest"
)

func main() {
	bin := flag.String("bin", "bin/demoguard", "demoguard binary")
	rulesFile := flag.String("rules", "testdata/corpus/rules.toml", "rule file (the corpus's)")
	minutes := flag.Int("talk-minutes", 2, "length of the talk-like recording")
	workers := flag.Int("workers", 2, "demoguard --workers")
	keep := flag.String("keep", "", "keep the rendered recordings in this directory")
	flag.Parse()
	if err := run(*bin, *rulesFile, *minutes, *workers, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type jsonReport struct {
	Findings []struct {
		Rule string    `json:"rule"`
		Box  rules.Box `json:"box"`
		Time *float64  `json:"time"`
		End  *float64  `json:"end"`
	} `json:"findings"`
	Errors []json.RawMessage `json:"errors"`
}

type row struct {
	name                               string
	dur                                float64
	items                              int
	dgWall, naiveWall, redWall         time.Duration
	dgFound, dgExact, nvFound, nvExact int
	decoys                             int
	samples                            int
}

func run(bin, rulesFile string, minutes, workers int, keep string) error {
	for _, tool := range []string{"ffmpeg", "ffprobe", "tesseract"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not installed (apt-get install ffmpeg tesseract-ocr)", tool)
		}
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: build it first (make build)", bin)
	}
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "demoguard-video-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	os.MkdirAll(dir, 0o755)
	recs := []struct {
		name string
		rec  *corpus.Recording
	}{
		{fmt.Sprintf("talk (%d min)", minutes), corpus.TalkRecording(corpus.DefaultSeed, minutes)},
		{"dense (test)", corpus.DenseRecording(corpus.DefaultSeed)},
	}
	var rows []row
	for i, r := range recs {
		path := filepath.Join(dir, fmt.Sprintf("rec%d.mp4", i))
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(os.Stderr, "bench: rendering %s (%d frames)…\n", r.name, r.rec.Frames)
			if err := videotest.Render(context.Background(), r.rec, path); err != nil {
				return err
			}
		}
		rw, err := bench(bin, rulesFile, workers, r.name, r.rec, path, dir)
		if err != nil {
			return err
		}
		rows = append(rows, rw)
	}
	fmt.Println("| recording | length | planted | demoguard wall | ×real time | naive wall (fps=1 + tesseract) | demoguard / naive | recall demoguard (exact span) | recall naive (exact span) | decoys flagged | redact re-encode |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %.0f s | %d | %.1f s | %.2f× | %.1f s (%d frames) | %.2f× | %s (%s) | %s (%s) | %d | %.1f s, %.2f× real time |\n",
			r.name, r.dur, r.items, r.dgWall.Seconds(), r.dur/r.dgWall.Seconds(), r.naiveWall.Seconds(), r.samples,
			r.dgWall.Seconds()/r.naiveWall.Seconds(), frac(r.dgFound, r.items), frac(r.dgExact, r.items),
			frac(r.nvFound, r.items), frac(r.nvExact, r.items), r.decoys, r.redWall.Seconds(), r.dur/r.redWall.Seconds())
	}
	for _, r := range rows {
		var miss []string
		if r.dgWall.Seconds() > 0.3*r.naiveWall.Seconds() {
			miss = append(miss, fmt.Sprintf("wall %.2f× the naive run's (target ≤ 0.3×)", r.dgWall.Seconds()/r.naiveWall.Seconds()))
		}
		if r.dgFound < r.nvFound {
			miss = append(miss, "recall below the naive run's")
		}
		if len(miss) > 0 {
			fmt.Printf("target missed on %s: %s\n", r.name, strings.Join(miss, "; "))
		} else {
			fmt.Printf("targets met on %s (recall ≥ naive, wall ≤ 0.3× naive)\n", r.name)
		}
	}
	return nil
}

func frac(a, b int) string { return fmt.Sprintf("%d/%d = %.2f", a, b, float64(a)/float64(max(b, 1))) }

func overlaps(a, b rules.Box) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

func bench(bin, rulesFile string, workers int, name string, rec *corpus.Recording, path, dir string) (row, error) {
	fps := float64(rec.FPS)
	rw := row{name: name, dur: float64(rec.Frames) / fps}
	var truth []corpus.Exposure
	for _, e := range rec.Truth {
		if e.Rule != "" {
			truth = append(truth, e)
		}
	}
	rw.items = len(truth)

	// demoguard.
	fmt.Fprintf(os.Stderr, "bench: demoguard scan %s…\n", name)
	t0 := time.Now()
	cmd := exec.Command(bin, "scan", "--format", "json", "--no-progress", "--workers", fmt.Sprint(workers), "--rules", rulesFile, path)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	rw.dgWall = time.Since(t0)
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		return rw, fmt.Errorf("demoguard: %v: %s", err, stderr.String())
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return rw, fmt.Errorf("demoguard output: %v", err)
	}
	matched := make([]bool, len(rep.Findings))
	for _, tr := range truth {
		found, exact := false, false
		for i, f := range rep.Findings {
			if f.Rule != tr.Rule || f.Time == nil {
				continue
			}
			first := int(*f.Time*fps + 0.5)
			end := int(*f.End*fps + 0.5)
			if first > tr.First+1 || end < tr.First+1 {
				continue
			}
			// The finding's box is its first frame's: compare with the
			// truth's box in that frame.
			k := min(max(first-tr.First, 0), len(tr.Boxes)-1)
			if !overlaps(f.Box, tr.Boxes[k]) {
				continue
			}
			found, matched[i] = true, true
			if abs(first-tr.First) <= 1 && abs(end-tr.End) <= 1 {
				exact = true
			}
		}
		if found {
			rw.dgFound++
		}
		if exact {
			rw.dgExact++
		}
	}
	for i, f := range rep.Findings {
		if matched[i] || f.Time == nil {
			continue
		}
		n := int(*f.Time*fps + 0.5)
		for _, d := range rec.Truth {
			if d.Rule == "" && n >= d.First && n < d.End && overlaps(f.Box, d.Boxes[n-d.First]) {
				rw.decoys++
			}
		}
	}

	// Redaction re-encode alone, masks from the report.
	info, err := video.Probe(context.Background(), path, video.Limits{})
	if err != nil {
		return rw, err
	}
	var masks []video.Mask
	for _, f := range rep.Findings {
		if f.Time != nil {
			masks = append(masks, video.Mask{Start: *f.Time, End: *f.End, Box: image.Rect(f.Box.X, f.Box.Y, f.Box.X+f.Box.W, f.Box.Y+f.Box.H).Inset(-video.MaskPad)})
		}
	}
	red := filepath.Join(dir, fmt.Sprintf("red-%d.mp4", time.Now().UnixNano()))
	t0 = time.Now()
	if err := video.Redact(context.Background(), path, red, info, masks, video.RedactOptions{}); err != nil {
		return rw, err
	}
	rw.redWall = time.Since(t0)
	os.Remove(red)

	// Naive: fps=1 to PNGs, tesseract on each, exact text search.
	fmt.Fprintf(os.Stderr, "bench: naive run on %s…\n", name)
	frames := filepath.Join(dir, "naive-frames")
	os.RemoveAll(frames)
	os.MkdirAll(frames, 0o755)
	t0 = time.Now()
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", path, "-vf", "fps=1", filepath.Join(frames, "%05d.png")).CombinedOutput(); err != nil {
		return rw, fmt.Errorf("ffmpeg fps=1: %v: %s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(frames, "*.png"))
	texts := make([]string, len(pngs))
	for i, p := range pngs {
		c := exec.Command("tesseract", p, "stdout")
		c.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
		o, err := c.Output()
		if err != nil {
			return rw, fmt.Errorf("tesseract %s: %v", p, err)
		}
		texts[i] = strings.Join(strings.Fields(string(o)), " ")
	}
	rw.naiveWall = time.Since(t0)
	rw.samples = len(pngs)
	os.RemoveAll(frames)
	// ffmpeg's fps=1 picks, for output frame k (time k s), the input frame
	// nearest to it: frame round(k*fps).
	for _, tr := range truth {
		want := strings.Join(strings.Fields(tr.Text), " ")
		first, last := -1, -1
		for k, txt := range texts {
			n := k * rec.FPS
			if n >= tr.First && n < tr.End && strings.Contains(txt, want) {
				if first < 0 {
					first = n
				}
				last = n
			}
		}
		if first < 0 {
			continue
		}
		rw.nvFound++
		if abs(first-tr.First) <= 1 && abs(last+rec.FPS-tr.End) <= 1 {
			rw.nvExact++
		}
	}
	return rw, nil
}

func abs(x int) int { return max(x, -x) }
