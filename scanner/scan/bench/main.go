// Command bench compares `demoguard scan` over the generated corpus with the
// way a user would script it without demoguard: the tesseract CLI on each
// full screen, one image at a time, OMP_THREAD_LIMIT=1, and exact string
// matching of the planted texts in its output. Both run in the same
// invocation, one after the other, so the figures are side by side.
//
//	go run ./scanner/scan/bench                 # builds bin/demoguard-bench first
//	go run ./scanner/scan/bench -bin bin/demoguard -check
//
// Recall: a planted item counts for demoguard when a finding of its rule
// overlaps its box (as in the accuracy test), for the naive run when its
// text occurs in tesseract's output (whitespace runs collapsed; a combo's
// parts must all occur). Decoys are not searched for by the naive run, so it
// cannot flag one; for demoguard a decoy is flagged when a finding overlaps it.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/internal/corpus"
)

func main() {
	dir := flag.String("corpus", "testdata/corpus", "corpus directory with manifest.json, rules.toml and the screens")
	bin := flag.String("bin", "", "demoguard binary (default: go build ./cmd/demoguard into a temporary directory)")
	workers := flag.Int("workers", runtime.NumCPU(), "demoguard --workers")
	minConf := flag.Float64("min-conf", 0.5, "demoguard --min-conf")
	check := flag.Bool("check", false, "exit 1 unless demoguard's recall is at least the naive one and its wall time at most 0.5x")
	flag.Parse()
	if err := run(*dir, *bin, *workers, *minConf, *check); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type tally struct{ found, total int }

func (t tally) String() string {
	if t.total == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d = %.3f", t.found, t.total, float64(t.found)/float64(t.total))
}

func (t tally) rate() float64 { return float64(t.found) / float64(max(1, t.total)) }

func run(dir, bin string, workers int, minConf float64, check bool) error {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return err
	}
	var man corpus.Manifest
	if err := json.Unmarshal(data, &man); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	paths := make([]string, len(man.Screens))
	for i, sc := range man.Screens {
		paths[i] = filepath.Join(dir, sc.Name+".png")
	}
	if _, err := exec.LookPath("tesseract"); err != nil {
		return errors.New("the naive run needs the tesseract CLI: apt-get install tesseract-ocr")
	}
	if bin == "" {
		tmp, err := os.MkdirTemp("", "demoguard-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "demoguard")
		fmt.Fprintln(os.Stderr, "bench: building demoguard…")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/demoguard").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	env := append(os.Environ(), "OMP_THREAD_LIMIT=1")

	// Naive: one tesseract process per screen, sequentially.
	fmt.Fprintf(os.Stderr, "bench: naive tesseract CLI over %d screens…\n", len(paths))
	naiveStart := time.Now()
	var naiveCPU time.Duration
	outputs := make([]string, len(paths))
	for i, p := range paths {
		cmd := exec.Command("tesseract", p, "stdout")
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("tesseract %s: %v: %s", p, err, stderr.String())
		}
		outputs[i] = collapse(string(out))
		naiveCPU += cpuTime(cmd.ProcessState)
	}
	naiveTime := time.Since(naiveStart)

	// demoguard: one process over all screens.
	fmt.Fprintf(os.Stderr, "bench: demoguard scan over %d screens…\n", len(paths))
	args := append([]string{"scan", "--format", "json", "--no-progress", "--rules", filepath.Join(dir, "rules.toml"),
		"--workers", fmt.Sprint(workers), "--min-conf", fmt.Sprint(minConf)}, paths...)
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	dgStart := time.Now()
	err = cmd.Run()
	dgTime := time.Since(dgStart)
	dgCPU := cpuTime(cmd.ProcessState)
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		return fmt.Errorf("demoguard scan: %v\n%s", err, stderr.String())
	}
	var rep struct {
		Findings []struct {
			Source string    `json:"source"`
			Rule   string    `json:"rule"`
			Box    rules.Box `json:"box"`
		} `json:"findings"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return fmt.Errorf("demoguard output: %w", err)
	}
	if len(rep.Errors) > 0 {
		return fmt.Errorf("demoguard reported errors: %s", rep.Errors)
	}

	var naive, dg tally
	decoys, flagged := 0, 0
	naiveByStyle, dgByStyle := map[string]*tally{}, map[string]*tally{}
	count := func(m map[string]*tally, k string, found bool) {
		if m[k] == nil {
			m[k] = &tally{}
		}
		m[k].total++
		if found {
			m[k].found++
		}
	}
	for i, sc := range man.Screens {
		for _, it := range sc.Items {
			var overlapping []string
			for _, f := range rep.Findings {
				if f.Source == paths[i] && overlaps(f.Box, it.Box) {
					overlapping = append(overlapping, f.Rule)
				}
			}
			if it.Rule == "" {
				decoys++
				if len(overlapping) > 0 {
					flagged++
				}
				continue
			}
			n := naiveFound(outputs[i], it.Text)
			d := false
			for _, r := range overlapping {
				d = d || r == it.Rule
			}
			naive.total++
			dg.total++
			if n {
				naive.found++
			}
			if d {
				dg.found++
			}
			count(naiveByStyle, it.Style, n)
			count(dgByStyle, it.Style, d)
		}
	}

	ratio := dgTime.Seconds() / naiveTime.Seconds()
	fmt.Printf("corpus: %d screens, %d planted items, %d decoys; %d CPUs; demoguard --workers %d --min-conf %.2f\n\n",
		len(paths), naive.total, decoys, runtime.NumCPU(), workers, minConf)
	fmt.Printf("%-34s %-20s %-16s %-24s %s\n", "", "recall", "decoys flagged", "wall time", "CPU time (user+sys)")
	fmt.Printf("%-34s %-20s %-16s %-24s %.1f s\n", "naive (tesseract CLI, exact match)", naive, "n/a",
		fmt.Sprintf("%.1f s", naiveTime.Seconds()), naiveCPU.Seconds())
	fmt.Printf("%-34s %-20s %-16s %-24s %.1f s\n", "demoguard scan", dg, fmt.Sprintf("%d/%d", flagged, decoys),
		fmt.Sprintf("%.1f s (%.2fx naive)", dgTime.Seconds(), ratio), dgCPU.Seconds())
	fmt.Printf("\n(load average during the run: %s; wall times on a shared machine are noisy, CPU time less so)\n", loadavg())
	fmt.Printf("\nrecall by style (naive | demoguard):\n")
	styles := make([]string, 0, len(dgByStyle))
	for s := range dgByStyle {
		styles = append(styles, s)
	}
	sort.Strings(styles)
	for _, s := range styles {
		fmt.Printf("  %-28s %-20s | %s\n", s, naiveByStyle[s], dgByStyle[s])
	}
	if check {
		var fails []string
		if dg.rate() < naive.rate() {
			fails = append(fails, fmt.Sprintf("recall %.3f below the naive %.3f", dg.rate(), naive.rate()))
		}
		if ratio > 0.5 {
			fails = append(fails, fmt.Sprintf("wall time %.2fx the naive run, want at most 0.5x", ratio))
		}
		if len(fails) > 0 {
			return errors.New(strings.Join(fails, "; "))
		}
	}
	return nil
}

// naiveFound is the exact string match a script would do; a combo ("Name …
// amount") needs each part.
func naiveFound(output, text string) bool {
	for _, part := range strings.Split(text, "…") {
		if p := collapse(part); p != "" && !strings.Contains(output, p) {
			return false
		}
	}
	return true
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func overlaps(a, b rules.Box) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// cpuTime is user+system time of a finished process and of the children it
// waited for (demoguard's OCR workers).
func cpuTime(ps *os.ProcessState) time.Duration {
	if ps == nil {
		return 0
	}
	return ps.UserTime() + ps.SystemTime()
}

// loadavg says how busy the machine was, where /proc tells.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
