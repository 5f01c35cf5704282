// Package output delivers the audience feed: it hands composited frames to a
// target — an X11 window on the presenter's screens, or an ffmpeg child
// process writing a file, a network stream or a v4l2loopback camera — and
// samples the pointer (XFixes) so the feed can draw it.
//
// Outputs never block the caller: each has a small bounded queue, and a
// frame that does not fit is dropped and counted. ffmpeg targets run at a
// constant frame rate (the last frame is repeated when nothing new arrives
// in time), so a recording's timestamps follow the frames' presentation
// times.
package output

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Kind says where a Target's frames go.
type Kind int

const (
	KindWindow Kind = iota // an X11 window (plain, or full screen on a monitor)
	KindFile               // a video file written by ffmpeg
	KindStream             // a network stream (srt, rtmp, udp) written by ffmpeg
	KindDevice             // a v4l2loopback device (/dev/videoN) written by ffmpeg
)

func (k Kind) String() string {
	switch k {
	case KindWindow:
		return "window"
	case KindFile:
		return "file"
	case KindStream:
		return "stream"
	case KindDevice:
		return "device"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Target is a parsed, validated --output value.
type Target struct {
	Kind    Kind
	Path    string // file or device
	URL     string // stream
	Monitor int    // window:N; -1 for a plain window
}

// String gives the target back as the user wrote it (for events and the
// status line).
func (t Target) String() string {
	switch t.Kind {
	case KindWindow:
		if t.Monitor >= 0 {
			return "window:" + strconv.Itoa(t.Monitor)
		}
		return "window"
	case KindStream:
		return t.URL
	}
	return t.Path
}

// ErrBadTarget marks every error of ParseTarget, so callers can exit with
// the usage status (2) before anything starts.
var ErrBadTarget = errors.New("bad --output")

// streamFormats maps the URL schemes we accept to ffmpeg's muxer for them.
var streamFormats = map[string]string{
	"srt":   "mpegts",
	"udp":   "mpegts",
	"rtmp":  "flv",
	"rtmps": "flv",
}

// fileFormats maps file extensions to ffmpeg's muxer. All hold H.264.
var fileFormats = map[string]string{
	".mkv": "matroska",
	".mp4": "mp4",
	".m4v": "mp4",
	".mov": "mov",
	".ts":  "mpegts",
}

var deviceRE = regexp.MustCompile(`^/dev/video[0-9]+$`)

// ParseTarget validates an --output value: "window", "window:N", a file
// name (talk.mkv, talk.mp4, .mov, .ts; never an existing file, and its
// directory must be writable), a stream URL (srt://, rtmp://, rtmps://,
// udp://) or a v4l2 device (/dev/videoN). Errors wrap ErrBadTarget and are
// one line naming the value.
func ParseTarget(s string) (Target, error) {
	bad := func(format string, a ...any) (Target, error) {
		return Target{}, fmt.Errorf("%w %q: %s", ErrBadTarget, s, fmt.Sprintf(format, a...))
	}
	switch {
	case s == "":
		return bad("empty; give window, window:N, a file (talk.mkv), a stream URL (srt://, rtmp://, udp://) or /dev/videoN")
	case s == "window":
		return Target{Kind: KindWindow, Monitor: -1}, nil
	case strings.HasPrefix(s, "window:"):
		n, err := strconv.Atoi(strings.TrimPrefix(s, "window:"))
		if err != nil || n < 0 {
			return bad("the monitor must be a number 0, 1, … (as for --display)")
		}
		return Target{Kind: KindWindow, Monitor: n}, nil
	case strings.Contains(s, "://"):
		u, err := url.Parse(s)
		if err != nil {
			return bad("not a URL: %v", errors.Unwrap(err))
		}
		scheme := strings.ToLower(u.Scheme)
		if _, ok := streamFormats[scheme]; !ok {
			return bad("unknown URL scheme %q; use srt://, rtmp://, rtmps:// or udp://", u.Scheme)
		}
		// srt may listen (srt://:9000?mode=listener); the others send to a host.
		if u.Hostname() == "" && scheme != "srt" {
			return bad("the URL has no host")
		}
		if u.Port() == "" && (scheme == "srt" || scheme == "udp") {
			return bad("%s:// needs a port (e.g. %s://127.0.0.1:9000)", scheme, scheme)
		}
		return Target{Kind: KindStream, URL: s, Monitor: -1}, nil
	case strings.HasPrefix(s, "/dev/"):
		if !deviceRE.MatchString(s) {
			return bad("only v4l2 devices /dev/videoN are supported")
		}
		fi, err := os.Stat(s)
		if err != nil {
			return bad("no such device; load v4l2loopback (modprobe v4l2loopback exclusive_caps=1) or pick the right /dev/videoN")
		}
		if fi.Mode()&os.ModeCharDevice == 0 {
			return bad("not a character device")
		}
		return Target{Kind: KindDevice, Path: s, Monitor: -1}, nil
	}
	return parseFile(s, bad)
}

func parseFile(s string, bad func(string, ...any) (Target, error)) (Target, error) {
	ext := strings.ToLower(filepath.Ext(s))
	if _, ok := fileFormats[ext]; !ok {
		return bad("unknown file type %q; use .mkv, .mp4, .mov or .ts (or window, a stream URL, /dev/videoN)", ext)
	}
	// Lstat: a dangling symlink is an existing name too, and ffmpeg would
	// write through it.
	if _, err := os.Lstat(s); err == nil {
		return bad("the file exists; demoguard never overwrites a recording, choose a new name")
	} else if !errors.Is(err, os.ErrNotExist) {
		return bad("%v", errors.Unwrap(err))
	}
	dir := filepath.Dir(s)
	fi, err := os.Stat(dir)
	if err != nil {
		return bad("directory %s does not exist", dir)
	}
	if !fi.IsDir() {
		return bad("%s is not a directory", dir)
	}
	// Permission bits do not answer this (root, read-only mounts, ACLs):
	// creating a file does.
	f, err := os.CreateTemp(dir, ".demoguard-probe-*")
	if err != nil {
		return bad("directory %s is not writable: %v", dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return Target{Kind: KindFile, Path: s, Monitor: -1}, nil
}
