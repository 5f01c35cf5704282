// Package video reads recordings for `demoguard scan`: ffprobe describes a
// file, ffmpeg decodes its first video stream into raw frames over a pipe
// with each frame's exact timestamp, Read watches the frames the way the
// live agent watches a screen, and Redact writes a masked copy. ffmpeg and
// ffprobe are child processes (the standard tools; cgo bindings build
// against one ffmpeg major only); their stderr is always drained.
package video

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
)

// Sentinel errors callers act on.
var (
	// ErrMissingTool: ffmpeg or ffprobe is not installed.
	ErrMissingTool = errors.New("ffmpeg/ffprobe not installed (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg)")
	// ErrNoVideo: the file has no video stream (audio only, a subtitle file).
	ErrNoVideo = errors.New("no video stream")
	// ErrTooLong: the recording is longer than the configured maximum.
	ErrTooLong = errors.New("longer than --max-duration")
	// ErrTooLarge: frames have more pixels than allowed.
	ErrTooLarge = errors.New("frames larger than --max-megapixels")
)

// Info describes a recording's first video stream, from ffprobe.
type Info struct {
	Width, Height int
	// FPS is the stream's nominal frame rate (r_frame_rate); 0 if unknown.
	// Variable frame rate files have frames at other times too: frames are
	// always placed by their own timestamps, never by FPS.
	FPS      float64
	FPSExpr  string  // as ffprobe gave it, e.g. "30000/1001"
	Duration float64 // seconds; 0 if unknown
	Frames   int64   // claimed frame count, bounded; 0 if unknown
	Codec    string
	Format   string // container format names, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
	Audio    int    // number of audio streams
	Subs     int    // number of subtitle streams
}

// Limits bound what a file may claim and cost.
type Limits struct {
	MaxPixels   int64   // per frame, judged from the stream header
	MaxDuration float64 // seconds
}

type probeJSON struct {
	Streams []struct {
		CodecType    string            `json:"codec_type"`
		CodecName    string            `json:"codec_name"`
		Width        int               `json:"width"`
		Height       int               `json:"height"`
		RFrameRate   string            `json:"r_frame_rate"`
		AvgFrameRate string            `json:"avg_frame_rate"`
		Duration     string            `json:"duration"`
		NbFrames     string            `json:"nb_frames"`
		Disposition  map[string]int    `json:"disposition"`
		Tags         map[string]string `json:"tags"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

// maxProbeOutput bounds ffprobe's JSON: a file with thousands of streams
// must not make us buffer megabytes.
const maxProbeOutput = 4 << 20

// Probe describes path's first video stream and checks it against lim.
func Probe(ctx context.Context, path string, lim Limits) (*Info, error) {
	out, err := run(ctx, "ffprobe", maxProbeOutput, "-v", "error", "-print_format", "json",
		"-show_format", "-show_streams", "--", fileArg(path))
	if err != nil {
		return nil, dropPath(err, path)
	}
	return parseProbe(out, lim)
}

func parseProbe(out []byte, lim Limits) (*Info, error) {
	var pj probeJSON
	if err := json.Unmarshal(out, &pj); err != nil {
		return nil, fmt.Errorf("ffprobe: unreadable output: %w", err)
	}
	info := &Info{Format: pj.Format.FormatName}
	found := false
	for _, s := range pj.Streams {
		switch s.CodecType {
		case "audio":
			info.Audio++
		case "subtitle":
			info.Subs++
		case "video":
			// Cover art in audio files is a "video" stream of one picture.
			if found || s.Disposition["attached_pic"] == 1 {
				continue
			}
			found = true
			info.Width, info.Height, info.Codec = s.Width, s.Height, s.CodecName
			info.FPSExpr = s.RFrameRate
			info.FPS = rate(s.RFrameRate)
			if info.FPS == 0 {
				info.FPS, info.FPSExpr = rate(s.AvgFrameRate), s.AvgFrameRate
			}
			info.Duration = seconds(s.Duration)
			if n, err := strconv.ParseInt(s.NbFrames, 10, 64); err == nil && n > 0 {
				info.Frames = n
			}
		}
	}
	if !found {
		return nil, ErrNoVideo
	}
	if info.Duration == 0 {
		info.Duration = seconds(pj.Format.Duration)
	}
	if info.Width <= 0 || info.Height <= 0 {
		return nil, errors.New("video stream has no frame size")
	}
	if lim.MaxPixels > 0 && int64(info.Width)*int64(info.Height) > lim.MaxPixels {
		return nil, fmt.Errorf("%w: %dx%d (%.1f MP, limit %.1f MP)", ErrTooLarge, info.Width, info.Height,
			float64(info.Width)*float64(info.Height)/1e6, float64(lim.MaxPixels)/1e6)
	}
	if lim.MaxDuration > 0 && info.Duration > lim.MaxDuration {
		return nil, fmt.Errorf("%w: %s (limit %s)", ErrTooLong, Clock(info.Duration), Clock(lim.MaxDuration))
	}
	// A header's frame count is only a hint for progress; a hostile one
	// (2^62 frames) is bounded by what the duration allows at 1000 fps.
	if info.Duration > 0 && float64(info.Frames) > info.Duration*1000+1 {
		info.Frames = int64(info.Duration*1000) + 1
	}
	if info.FPS > 1000 {
		info.FPS = 0 // nonsense (timebase given as rate): not used for anything exact
	}
	return info, nil
}

// rate parses "30000/1001" or "25".
func rate(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) {
		return 0
	}
	if !ok {
		return n
	}
	d, err := strconv.ParseFloat(den, 64)
	if err != nil || d <= 0 {
		return 0
	}
	return n / d
}

func seconds(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// fileArg keeps a path that starts with '-' or looks like a protocol
// ("http:", "concat:") from being read as an option or a URL: ffmpeg's
// file: protocol takes any path literally.
func fileArg(path string) string { return "file:" + path }

// Clock formats seconds as 00:12:31.200.
func Clock(sec float64) string {
	if sec < 0 || math.IsNaN(sec) {
		sec = 0
	}
	ms := int64(math.Round(sec * 1000))
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// run runs a tool and returns its stdout (at most maxOut bytes); stderr's
// last lines make the error.
func run(ctx context.Context, tool string, maxOut int, args ...string) ([]byte, error) {
	if _, err := exec.LookPath(tool); err != nil {
		return nil, ErrMissingTool
	}
	cmd := exec.CommandContext(ctx, tool, args...)
	var stdout limited
	stdout.max = maxOut
	var stderr tail
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if stdout.over {
		return nil, fmt.Errorf("%s: more than %d bytes of output", tool, maxOut)
	}
	if err != nil {
		return nil, toolError(tool, err, &stderr)
	}
	return stdout.Bytes(), nil
}

func toolError(tool string, err error, stderr *tail) error {
	msg := stderr.lastLine()
	if msg == "" {
		msg = err.Error()
	}
	return fmt.Errorf("%s: %s", tool, msg)
}

// limited is a buffer that stops taking bytes past max.
type limited struct {
	bytes.Buffer
	max  int
	over bool
}

func (l *limited) Write(p []byte) (int, error) {
	if l.Len()+len(p) > l.max {
		l.over = true
		return 0, errors.New("output too large")
	}
	return l.Buffer.Write(p)
}

// tail keeps the last 4 KiB written to it (a tool's stderr).
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = append(t.b[:0], t.b[len(t.b)-4096:]...)
	}
	return len(p), nil
}

// lastLine is the last non-empty line, made printable and short: it
// becomes part of a one-line error.
func (t *tail) lastLine() string {
	lines := strings.Split(strings.TrimSpace(string(t.b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		l = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, l)
		if len(l) > 200 {
			l = l[:200] + "…"
		}
		return l
	}
	return ""
}

// dropPath removes "file:PATH: " from a tool's message: the source name
// already starts the error line.
func dropPath(err error, path string) error {
	msg := err.Error()
	if !strings.Contains(msg, fileArg(path)) {
		return err
	}
	return errors.New(strings.ReplaceAll(msg, fileArg(path)+": ", ""))
}
