// Package videotest renders corpus recordings to real video files with
// ffmpeg, for the accuracy test and the benchmark of scanner/video.
package videotest

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"os/exec"
	"strconv"

	"github.com/demoguard/demoguard/scanner/internal/corpus"
)

// Bitrate is a typical talk recording's video bitrate at 720p (conference
// uploads run 1.5-3 Mbit/s at 720p30).
const Bitrate = "1500k"

// Render encodes rec as H.264 (yuv420p, Bitrate, a keyframe every 2 s) with
// a stereo AAC sine tone as audio, into path (the container follows the
// extension).
func Render(ctx context.Context, rec *corpus.Recording, path string) error {
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
		"-f", "rawvideo", "-pix_fmt", "rgba", "-s", fmt.Sprintf("%dx%d", rec.W, rec.H), "-r", strconv.Itoa(rec.FPS), "-i", "pipe:0",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-map", "0:v", "-map", "1:a", "-shortest",
		"-c:v", "libx264", "-preset", "veryfast", "-b:v", Bitrate, "-maxrate", "2000k", "-bufsize", "3000k",
		"-g", strconv.Itoa(2*rec.FPS), "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "96k", "-ac", "2",
		path)
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	var stderr limitedBuf
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start ffmpeg: %w", err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	var werr error
	buf := image.NewRGBA(image.Rect(0, 0, rec.W, rec.H))
	for n := 0; n < rec.Frames && werr == nil; n++ {
		_, werr = w.Write(rec.FrameInto(n, buf).Pix)
	}
	if werr == nil {
		werr = w.Flush()
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("ffmpeg: %v: %s", err, stderr.b)
	}
	return werr
}

type limitedBuf struct{ b []byte }

func (l *limitedBuf) Write(p []byte) (int, error) {
	if len(l.b) < 8192 {
		l.b = append(l.b, p...)
	}
	return len(p), nil
}
