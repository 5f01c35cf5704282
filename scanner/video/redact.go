package video

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/demoguard/demoguard/scanner/internal/geom"
)

// Mask is a box to black out in every frame whose timestamp t satisfies
// Start <= t < End.
type Mask struct {
	Start, End float64
	Box        image.Rectangle
}

// MaskPad is how far a mask reaches past the OCR box: ascenders, descenders
// and the encoder's ringing around the glyphs are covered too.
const MaskPad = 6

// MasksOf turns exposures into padded masks, one per span.
func MasksOf(es []*Exposure, bounds image.Rectangle) []Mask {
	var ms []Mask
	for _, e := range es {
		for _, sp := range e.Spans {
			r := geom.Rect(sp.Box)
			pad := max(MaskPad, r.Dy()/4)
			r = r.Inset(-pad).Intersect(bounds)
			if r.Empty() || sp.End <= sp.Start {
				continue
			}
			ms = append(ms, Mask{Start: sp.Start, End: sp.End, Box: r})
		}
	}
	return ms
}

// RedactOptions tune the re-encode.
type RedactOptions struct {
	// CRF is x264's constant rate factor; default 18 (visually lossless
	// for screen content: the copy should differ from the source only
	// where masked).
	CRF int
	// Preset is x264's speed preset; default "veryfast".
	Preset string
	// Note receives remarks (subtitles the container could not take).
	Note func(string)
}

// Redact writes a copy of src to dst with the masks drawn as opaque black
// boxes. The video is re-encoded with H.264 at the source's size and
// timestamps (each frame keeps its own time: variable frame rate files stay
// as they are); audio, subtitles and chapters are copied untouched. Masks
// are ffmpeg drawbox filters enabled by timestamp (enable='gte(t,S)*lt(t,E)'),
// evaluated on each frame's own time in the same filter graph that decodes
// it: exact to the frame without a second decode in Go, without piping raw
// frames (which would lose the frame timing), and cheap for frames without
// masks. The filter graph goes through a script file (no argv limit).
//
// dst is never overwritten: the copy is written to a temporary file in the
// same directory and linked to dst only if dst does not exist.
func Redact(ctx context.Context, src, dst string, info *Info, masks []Mask, opt RedactOptions) error {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return ErrMissingTool
	}
	if opt.CRF <= 0 {
		opt.CRF = 18
	}
	if opt.Preset == "" {
		opt.Preset = "veryfast"
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s exists (not overwritten)", dst)
	}
	dir := filepath.Dir(dst)
	script, err := os.CreateTemp(dir, ".demoguard-filter-*.txt")
	if err != nil {
		return err
	}
	defer os.Remove(script.Name())
	if _, err := script.WriteString(FilterScript(masks, info)); err != nil {
		script.Close()
		return err
	}
	if err := script.Close(); err != nil {
		return err
	}
	muxer := containerFor(dst)
	tmp, err := os.CreateTemp(dir, ".demoguard-redact-*"+filepath.Ext(dst))
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName)
	pixFmt := "yuv420p"
	if info.Width%2 != 0 || info.Height%2 != 0 {
		pixFmt = "yuv444p" // 4:2:0 needs even sizes; keep the size instead
	}
	encode := func(subs bool) error {
		args := []string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y",
			"-i", fileArg(src),
			"-map", "0:V:0", "-map", "0:a?"}
		if subs {
			args = append(args, "-map", "0:s?", "-c:s", "copy")
		}
		args = append(args,
			"-filter_script:v", script.Name(),
			"-fps_mode", "passthrough", "-enc_time_base:v", "-1",
			"-c:v", "libx264", "-preset", opt.Preset, "-crf", fmt.Sprint(opt.CRF), "-pix_fmt", pixFmt,
			"-c:a", "copy",
			"-map_metadata", "0", "-map_chapters", "0")
		if muxer == "mp4" || muxer == "mov" {
			args = append(args, "-movflags", "+faststart")
		}
		args = append(args, "-f", muxer, "file:"+tmpName)
		cmd := exec.CommandContext(ctx, "ffmpeg", args...)
		var stderr tail
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return toolError("ffmpeg", err, &stderr)
		}
		return nil
	}
	if err := encode(info.Subs > 0); err != nil {
		// Subtitles are kept where the container allows: a subtitle codec
		// the output container cannot carry (bitmap subtitles in MP4)
		// must not cost the redacted copy.
		if info.Subs == 0 || ctx.Err() != nil {
			return err
		}
		if err2 := encode(false); err2 != nil {
			return err
		}
		if opt.Note != nil {
			opt.Note(fmt.Sprintf("%s: subtitles not copied (%v)", dst, err))
		}
	}
	if err := os.Chmod(tmpName, 0o600); err != nil {
		return err
	}
	// Link, not rename: a link fails if dst appeared meanwhile.
	if err := os.Link(tmpName, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists (not overwritten)", dst)
		}
		return err
	}
	return nil
}

// FilterScript is the video filter graph that draws the masks.
func FilterScript(masks []Mask, info *Info) string {
	if len(masks) == 0 {
		return "null"
	}
	parts := make([]string, 0, len(masks))
	for _, m := range masks {
		// Timestamps parsed from ffmpeg's log have 6 decimals; the half
		// millisecond keeps rounding from moving an edge by a frame.
		parts = append(parts, fmt.Sprintf("drawbox=x=%d:y=%d:w=%d:h=%d:color=black:t=fill:enable='gte(t,%.6f)*lt(t,%.6f)'",
			m.Box.Min.X, m.Box.Min.Y, m.Box.Dx(), m.Box.Dy(), m.Start-0.0005, m.End-0.0005))
	}
	return strings.Join(parts, ",\n")
}

// RedactedName is the file name of the redacted copy of src: the same name
// with ".redacted" before a container extension that can carry H.264 with
// the source's audio (Matroska for anything but MP4/MOV).
func RedactedName(src string) string {
	base := filepath.Base(src)
	ext := strings.ToLower(filepath.Ext(base))
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	switch ext {
	case ".mp4", ".m4v", ".mov", ".mkv":
		return stem + ".redacted" + ext
	}
	return stem + ".redacted.mkv"
}

func containerFor(dst string) string {
	switch strings.ToLower(filepath.Ext(dst)) {
	case ".mp4", ".m4v":
		return "mp4"
	case ".mov":
		return "mov"
	}
	return "matroska"
}
