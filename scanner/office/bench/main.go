// Command bench compares `demoguard scan` of office files with the naive
// route a user can script today: LibreOffice `--convert-to pdf`, then
// `demoguard scan` of the PDF. Both run in one invocation, one after the
// other, on the same inputs (gen.py: a 200-slide deck with speaker notes,
// hidden slides and 40 screenshots from testdata/corpus; a 50,000-cell
// workbook with a hidden sheet), so the figures are side by side.
//
//	go run ./scanner/office/bench             # builds the binary, generates inputs
//	go run ./scanner/office/bench -check      # exit 1 when a target is missed
//
// Targets (issue 11): at least as many findings as the naive route, at most
// 0.3x its wall time, and the deck's text-only parts read and matched in at
// most 0.5 s. Peak memory is the largest process's maximum RSS as the
// kernel reports it (ru_maxrss); the naive route's is the larger of
// soffice's and the PDF scan's.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/office"
)

func main() {
	bin := flag.String("bin", "", "demoguard binary (default: go build ./cmd/demoguard into a temporary directory)")
	inputs := flag.String("inputs", "", "directory with deck.pptx and model.xlsx (default: generate them with gen.py)")
	ruleFile := flag.String("rules", "testdata/office/rules.toml", "rule file")
	workers := flag.Int("workers", runtime.NumCPU(), "demoguard --workers")
	check := flag.Bool("check", false, "exit 1 unless every target is met")
	only := flag.String("only", "deck.pptx,model.xlsx", "inputs to run, comma-separated")
	flag.Parse()
	if err := run(*bin, *inputs, *ruleFile, *workers, *check, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// measured is one process run (or a chain of them).
type measured struct {
	wall     time.Duration
	maxRSSKB int64
	findings int
	out      []byte
}

func runCmd(env []string, name string, args ...string) (measured, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	m := measured{wall: time.Since(start), out: out.Bytes()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSSKB = ru.Maxrss
	}
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) { // 1: findings
		return m, fmt.Errorf("%s: %v: %s", name, err, errb.String())
	}
	return m, nil
}

func countFindings(out []byte) (int, error) {
	var j struct {
		Findings []json.RawMessage `json:"findings"`
		Errors   []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(out, &j); err != nil {
		return 0, err
	}
	if len(j.Errors) > 0 {
		return 0, fmt.Errorf("scan errors: %s", j.Errors)
	}
	return len(j.Findings), nil
}

func run(bin, inputs, ruleFile string, workers int, check bool, only string) error {
	tmp, err := os.MkdirTemp("", "demoguard-office-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "demoguard")
		build := exec.Command("go", "build", "-o", bin, "./cmd/demoguard")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}
	if inputs == "" {
		inputs = filepath.Join(tmp, "inputs")
		fmt.Fprintln(os.Stderr, "generating inputs (LibreOffice, openpyxl)…")
		gen := exec.Command("/usr/bin/python3", "scanner/office/bench/gen.py", inputs)
		gen.Stdout, gen.Stderr = os.Stderr, os.Stderr
		if err := gen.Run(); err != nil {
			return fmt.Errorf("gen.py: %w", err)
		}
	}
	env := []string{"OMP_THREAD_LIMIT=1"}
	scanArgs := func(path string) []string {
		return []string{"scan", "--format", "json", "--no-progress", "--workers", fmt.Sprint(workers), "--rules", ruleFile, path}
	}
	type row struct {
		name          string
		ours, naive   measured
		textOnly      time.Duration
		textCPU       time.Duration
		textFindings  int
		naiveConvWall time.Duration
	}
	var rows []row
	rs, err := rules.Load(ruleFile)
	if err != nil {
		return err
	}
	for _, in := range strings.Split(only, ",") {
		path := filepath.Join(inputs, in)
		r := row{name: in}
		// demoguard reading the file itself.
		if r.ours, err = runCmd(env, bin, scanArgs(path)...); err != nil {
			return err
		}
		if r.ours.findings, err = countFindings(r.ours.out); err != nil {
			return fmt.Errorf("%s: %w", in, err)
		}
		// Text-only parts, in process: read and match, images skipped.
		r.textOnly, r.textCPU, r.textFindings, err = textOnly(path, rs)
		if err != nil {
			return err
		}
		// The naive route: convert to PDF, scan the PDF.
		outdir := filepath.Join(tmp, "pdf")
		conv, err := runCmd(nil, "soffice", "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(tmp, "profile"),
			"--convert-to", "pdf", "--outdir", outdir, path)
		if err != nil {
			return err
		}
		pdf := filepath.Join(outdir, in[:len(in)-len(filepath.Ext(in))]+".pdf")
		scanPDF, err := runCmd(env, bin, append(scanArgs(pdf), "--max-pages", "100000")...)
		if err != nil {
			return err
		}
		r.naive = measured{wall: conv.wall + scanPDF.wall, maxRSSKB: max(conv.maxRSSKB, scanPDF.maxRSSKB)}
		r.naiveConvWall = conv.wall
		if r.naive.findings, err = countFindings(scanPDF.out); err != nil {
			return fmt.Errorf("%s (pdf): %w", in, err)
		}
		rows = append(rows, r)
	}

	fmt.Printf("%-11s  %-28s  %-34s  %s\n", "input", "demoguard scan (file itself)", "naive: soffice→pdf + scan of pdf", "ratio")
	missed := 0
	for _, r := range rows {
		ratio := r.ours.wall.Seconds() / r.naive.wall.Seconds()
		fmt.Printf("%-11s  %6.1f s %5d MB %5d found  %6.1f s (convert %.1f s) %5d MB %5d found  %.3fx\n",
			r.name, r.ours.wall.Seconds(), r.ours.maxRSSKB>>10, r.ours.findings,
			r.naive.wall.Seconds(), r.naiveConvWall.Seconds(), r.naive.maxRSSKB>>10, r.naive.findings, ratio)
		fmt.Printf("%-11s  text-only parts read and matched in process: %.3f s wall, %.3f s CPU, %d findings\n", "", r.textOnly.Seconds(), r.textCPU.Seconds(), r.textFindings)
		if r.ours.findings < r.naive.findings {
			fmt.Printf("MISSED: %s: %d findings, fewer than the naive route's %d\n", r.name, r.ours.findings, r.naive.findings)
			missed++
		}
		if ratio > 0.3 {
			fmt.Printf("MISSED: %s: %.3fx the naive route's wall time, target 0.3x\n", r.name, ratio)
			missed++
		}
		if r.name == "deck.pptx" && r.textOnly > 500*time.Millisecond {
			fmt.Printf("MISSED: %s: text-only parts took %.3f s, target 0.5 s\n", r.name, r.textOnly.Seconds())
			missed++
		}
	}
	fmt.Printf("(%d CPUs, shared machine: wall times are noisy; run again side by side before comparing)\n", runtime.NumCPU())
	if check && missed > 0 {
		return fmt.Errorf("%d targets missed", missed)
	}
	return nil
}

// textHandler matches text batches and skips images.
type textHandler struct {
	rs       *rules.Ruleset
	findings int
}

func (h *textHandler) Text(items []office.Item) error {
	lines := make([]rules.Line, len(items))
	for i, it := range items {
		lines[i] = rules.TextLine(it.Text)
	}
	h.findings += len(h.rs.Match(lines))
	return nil
}
func (h *textHandler) Image(office.Item) error { return nil }
func (h *textHandler) Problem(error)           {}

func textOnly(path string, rs *rules.Ruleset) (time.Duration, time.Duration, int, error) {
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	wall, n, err := textOnlyWall(path, rs)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
	return wall, cpu, n, err
}

func textOnlyWall(path string, rs *rules.Ruleset) (time.Duration, int, error) {
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	h := &textHandler{rs: rs}
	err = office.Walk(context.Background(), f, fi.Size(), office.Options{SkipImages: true}, h)
	return time.Since(start), h.findings, err
}
