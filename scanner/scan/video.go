package scan

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/demoguard/demoguard/rules"
	"github.com/demoguard/demoguard/scanner/video"
)

// DefaultMaxDuration bounds a recording (seconds): a full conference day.
const DefaultMaxDuration = 6 * 3600

// videoExts are picked up when walking directories (files given by name
// are recognised by content whatever their name).
var videoExts = []string{".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".m2ts", ".wmv", ".flv", ".ogv", ".3gp"}

func init() {
	for _, e := range videoExts {
		scanExts[e] = true
	}
}

// isVideo recognises the containers ffmpeg reads that recordings come in,
// by their magic bytes.
func isVideo(head []byte) bool {
	switch {
	case len(head) >= 12 && string(head[4:8]) == "ftyp": // MP4, MOV, 3GP
		return true
	case len(head) >= 8 && (string(head[4:8]) == "moov" || string(head[4:8]) == "mdat" || string(head[4:8]) == "wide" || string(head[4:8]) == "free"):
		return true // QuickTime without ftyp
	case bytes.HasPrefix(head, []byte("\x1a\x45\xdf\xa3")): // Matroska, WebM
		return true
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "AVI ":
		return true
	case bytes.HasPrefix(head, []byte("FLV\x01")), bytes.HasPrefix(head, []byte("OggS")):
		return true
	case bytes.HasPrefix(head, []byte("\x30\x26\xb2\x75\x8e\x66\xcf\x11")): // ASF/WMV
		return true
	case bytes.HasPrefix(head, []byte("\x00\x00\x01\xba")), bytes.HasPrefix(head, []byte("\x00\x00\x01\xb3")): // MPEG-PS
		return true
	case len(head) > 376 && head[0] == 0x47 && head[188] == 0x47 && head[376] == 0x47: // MPEG-TS
		return true
	}
	return false
}

// regionRecognizer adapts a whole-image Recognizer (test fakes) to reading
// regions: each region is recognised as a sub-image.
type regionRecognizer struct{ Recognizer }

func (r regionRecognizer) RecognizeRegions(ctx context.Context, img image.Image, rects []image.Rectangle) ([]rules.Line, error) {
	type subImager interface {
		SubImage(image.Rectangle) image.Image
	}
	si, ok := img.(subImager)
	if !ok {
		return r.Recognize(ctx, img)
	}
	var out []rules.Line
	for _, rc := range rects {
		ls, err := r.Recognize(ctx, si.SubImage(rc))
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	return out, nil
}

// scanVideo reads a recording: one finding per exposure, with its time
// span; evidence per exposure and the redacted copy when asked.
func (s *Scanner) scanVideo(ctx context.Context, job pageJob) pageResult {
	rec, ok := s.opt.Recognizer.(video.Recognizer)
	if !ok {
		rec = regionRecognizer{s.opt.Recognizer}
	}
	var r pageResult
	var evErr error
	cfg := video.Config{
		Recognizer: rec,
		Matcher:    s.opt.Matcher,
		MinConf:    s.opt.MinConf,
		Limits:     video.Limits{MaxPixels: s.opt.MaxPixels, MaxDuration: s.opt.MaxDuration},
		Progress:   job.progress,
	}
	if s.opt.EvidenceDir != "" {
		cfg.OnExposure = func(e *video.Exposure, frame *image.RGBA) error {
			if evErr != nil {
				return nil
			}
			f := Finding{Source: job.src.name, Finding: e.Finding}
			path, err := WriteEvidence(s.opt.EvidenceDir, VideoEvidenceName(job.src.name, e.Start, e.Rule), frame, []Finding{f})
			if err != nil {
				evErr = err // findings stand; the error is reported once
				return nil
			}
			r.evidence = append(r.evidence, path)
			s.opt.Note("evidence written: " + path)
			return nil
		}
	}
	res, err := video.Read(ctx, job.src.path, cfg)
	if err != nil {
		return pageResult{err: err}
	}
	r.ocrOK = true
	r.dropped = res.Dropped
	for _, e := range res.Exposures {
		f := Finding{Source: job.src.name, Finding: e.Finding, Video: true, Time: round3(e.Start), End: round3(e.End)}
		r.findings = append(r.findings, f)
	}
	sortVideoFindings(r.findings)
	if evErr != nil {
		r.err = fmt.Errorf("evidence: %w", evErr)
		return r
	}
	if s.opt.RedactDir != "" && len(res.Exposures) > 0 {
		path, err := s.redactVideo(ctx, job.src, res)
		if err != nil {
			r.err = fmt.Errorf("redact: %w", err)
			return r
		}
		r.redacted = path
		s.opt.Note("redacted copy written: " + path)
	}
	return r
}

func (s *Scanner) redactVideo(ctx context.Context, src *source, res *video.Result) (string, error) {
	if err := os.MkdirAll(s.opt.RedactDir, 0o700); err != nil {
		return "", fmt.Errorf("create redact directory: %w", err)
	}
	bounds := image.Rect(0, 0, res.Info.Width, res.Info.Height)
	dst, err := freeName(s.opt.RedactDir, video.RedactedName(src.path))
	if err != nil {
		return "", err
	}
	if err := video.Redact(ctx, src.path, dst, res.Info, video.MasksOf(res.Exposures, bounds), video.RedactOptions{Note: s.opt.Note}); err != nil {
		return "", err
	}
	return dst, nil
}

// freeName returns dir/name, or dir/stem-N.ext for the first N not taken.
func freeName(dir, name string) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < 1000; i++ {
		p := filepath.Join(dir, name)
		if i > 0 {
			p = filepath.Join(dir, fmt.Sprintf("%s-%d%s", stem, i, ext))
		}
		if _, err := os.Lstat(p); os.IsNotExist(err) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s and 999 numbered variants exist in %s", name, dir)
}

// VideoEvidenceName names the evidence of one exposure by source, time and
// rule: "talk.mp4-00h12m31.200s-customers.evidence.png".
func VideoEvidenceName(src string, t float64, rule string) string {
	base := strings.TrimSuffix(EvidenceName(src, 0, false), ".evidence.png")
	ms := int64(math.Round(t * 1000))
	r := strings.TrimSuffix(EvidenceName(rule, 0, false), ".evidence.png")
	return fmt.Sprintf("%s-%02dh%02dm%02d.%03ds-%s.evidence.png", base, ms/3600000, ms/60000%60, ms/1000%60, ms%1000, r)
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// sortVideoFindings orders a recording's exposures by time, then place.
func sortVideoFindings(fs []Finding) {
	sortFindings(fs)
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].Time < fs[j-1].Time; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}
