package video

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os/exec"
	"strconv"
	"sync"
)

// Frame is one decoded frame: RGBA pixels at the stream header's size and
// the frame's presentation time in seconds from the start of the file (as
// players show it: the container's start offset is subtracted).
type Frame struct {
	Img *image.RGBA
	PTS float64
	N   int // 0-based index in decode output order
}

// Decoder streams a video's frames from an ffmpeg child process. Each frame
// comes with its own timestamp (ffmpeg's showinfo filter logs it on stderr
// just before the frame is written to stdout), so variable frame rate files
// are placed exactly; -fps_mode passthrough keeps ffmpeg from duplicating or
// dropping frames to fit a nominal rate.
type Decoder struct {
	info   *Info
	cmd    *exec.Cmd
	stdout *bufio.Reader
	pts    chan float64
	errTl  *tail
	done   chan struct{} // stderr drained
	n      int
	maxDur float64
	close  sync.Once
	cancel context.CancelFunc
}

// Decode starts ffmpeg on path. The caller must Close the decoder.
func Decode(ctx context.Context, path string, info *Info, lim Limits) (*Decoder, error) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return nil, ErrMissingTool
	}
	ctx, cancel := context.WithCancel(ctx)
	args := []string{"-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
		"-i", fileArg(path),
		// 0:V excludes attached pictures (cover art).
		"-map", "0:V:0", "-an", "-sn", "-dn",
		// A resolution change mid-stream is scaled back to the header's
		// size: buffers and boxes keep one size, and the size checked
		// against --max-megapixels is the one decoded.
		"-vf", fmt.Sprintf("scale=%d:%d,showinfo=checksum=0", info.Width, info.Height),
		"-fps_mode", "passthrough"}
	if lim.MaxDuration > 0 {
		// A stream claiming no or a wrong duration is cut off just past
		// the limit; Next reports the overrun.
		args = append(args, "-t", strconv.FormatFloat(lim.MaxDuration+1, 'f', 3, 64))
	}
	args = append(args, "-f", "rawvideo", "-pix_fmt", "rgba", "pipe:1")
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start ffmpeg: %w", err)
	}
	d := &Decoder{info: info, cmd: cmd, stdout: bufio.NewReaderSize(stdout, 1<<20),
		pts: make(chan float64, 1024), errTl: &tail{}, done: make(chan struct{}),
		maxDur: lim.MaxDuration, cancel: cancel}
	go d.drain(stderr)
	return d, nil
}

var showinfoTag = []byte("Parsed_showinfo")

// drain reads ffmpeg's stderr to the end (a full stderr pipe would stall
// ffmpeg), passing frame timestamps on and keeping the tail for errors.
func (d *Decoder) drain(r io.Reader) {
	defer close(d.done)
	defer close(d.pts)
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			if bytes.Contains(line, showinfoTag) {
				if i := bytes.Index(line, []byte(" pts_time:")); i >= 0 && bytes.Contains(line, []byte(" n:")) {
					f := bytes.Fields(line[i+len(" pts_time:"):])
					pts := -1.0
					if len(f) > 0 {
						if v, perr := strconv.ParseFloat(string(f[0]), 64); perr == nil {
							pts = v
						}
					}
					d.pts <- pts
				}
			} else {
				d.errTl.Write(line)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue // an overlong line: its start was handled; skip the rest
		}
		if err != nil {
			return
		}
	}
}

// Next decodes the next frame into img (allocated when nil or of the wrong
// size) and returns it. io.EOF after the last frame.
func (d *Decoder) Next(img *image.RGBA) (Frame, error) {
	w, h := d.info.Width, d.info.Height
	if img == nil || img.Rect.Dx() != w || img.Rect.Dy() != h || img.Stride != 4*w {
		img = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	n, err := io.ReadFull(d.stdout, img.Pix)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		werr := d.wait()
		if werr != nil {
			return Frame{}, fmt.Errorf("frame %d: %w", d.n, werr)
		}
		if n > 0 {
			return Frame{}, fmt.Errorf("frame %d: truncated (%d of %d bytes)", d.n, n, len(img.Pix))
		}
		if d.n == 0 {
			return Frame{}, errors.New("no frames decoded (truncated or corrupt file)")
		}
		return Frame{}, io.EOF
	}
	if err != nil {
		return Frame{}, fmt.Errorf("frame %d: read: %w", d.n, err)
	}
	pts, ok := <-d.pts
	if !ok {
		return Frame{}, fmt.Errorf("frame %d: ffmpeg gave no timestamp", d.n)
	}
	if pts < 0 { // no timestamp in the file: the nominal rate is all there is
		pts = float64(d.n) / max(d.info.FPS, 1)
	}
	if d.maxDur > 0 && pts > d.maxDur {
		return Frame{}, fmt.Errorf("%w: frame %d at %s (limit %s)", ErrTooLong, d.n, Clock(pts), Clock(d.maxDur))
	}
	f := Frame{Img: img, PTS: pts, N: d.n}
	d.n++
	return f, nil
}

// wait reaps ffmpeg after stdout ended and turns a failure into an error
// naming ffmpeg's last complaint.
func (d *Decoder) wait() error {
	<-d.done
	err := d.cmd.Wait()
	d.close.Do(d.cancel)
	if err != nil {
		return toolError("ffmpeg", err, d.errTl)
	}
	return nil
}

// Close stops ffmpeg (if still running) and reaps it.
func (d *Decoder) Close() error {
	d.close.Do(func() {
		d.cancel()
		// Drain what is left so the stderr reader ends, then reap.
		go io.Copy(io.Discard, d.stdout)
		for range d.pts {
		}
		<-d.done
		d.cmd.Wait()
	})
	return nil
}
