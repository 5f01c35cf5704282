package output

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.mkv")
	if err := os.WriteFile(existing, []byte("recording"), 0o600); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "link.mp4")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)

	good := []struct {
		in   string
		want Target
	}{
		{"window", Target{Kind: KindWindow, Monitor: -1}},
		{"window:0", Target{Kind: KindWindow, Monitor: 0}},
		{"window:2", Target{Kind: KindWindow, Monitor: 2}},
		{filepath.Join(dir, "talk.mkv"), Target{Kind: KindFile, Path: filepath.Join(dir, "talk.mkv"), Monitor: -1}},
		{filepath.Join(dir, "talk.MP4"), Target{Kind: KindFile, Path: filepath.Join(dir, "talk.MP4"), Monitor: -1}},
		{"srt://127.0.0.1:9000?mode=caller", Target{Kind: KindStream, URL: "srt://127.0.0.1:9000?mode=caller", Monitor: -1}},
		{"rtmp://live.example.com/app/key", Target{Kind: KindStream, URL: "rtmp://live.example.com/app/key", Monitor: -1}},
		{"udp://239.0.0.1:1234", Target{Kind: KindStream, URL: "udp://239.0.0.1:1234", Monitor: -1}},
	}
	for _, c := range good {
		got, err := ParseTarget(c.in)
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", c.in, got, c.want)
		}
		if got.String() != c.in {
			t.Errorf("ParseTarget(%q).String() = %q", c.in, got.String())
		}
	}

	bad := []struct {
		in, want string
	}{
		{"", "empty"},
		{"window:abc", "monitor must be a number"},
		{"window:-1", "monitor must be a number"},
		{"window:", "monitor must be a number"},
		{"http://example.com/feed", `unknown URL scheme "http"`},
		{"ftp://example.com/x.mkv", `unknown URL scheme "ftp"`},
		{"udp://127.0.0.1", "needs a port"},
		{"rtmp:///app/key", "no host"},
		{"udp://:1234", "no host"},
		{existing, "the file exists"},
		{dangling, "the file exists"},
		{filepath.Join(dir, "missing", "talk.mkv"), "does not exist"},
		{filepath.Join(notDir, "talk.mkv"), "not a directory"},
		// Root ignores permission bits; /proc refuses new files to anyone.
		{"/proc/demoguard-feed.mkv", "is not writable"},
		{filepath.Join(dir, "talk.avi"), `unknown file type ".avi"`},
		{filepath.Join(dir, "talk"), `unknown file type ""`},
		{"/dev/video999", "no such device"},
		{"/dev/null", "only v4l2 devices"},
	}
	for _, c := range bad {
		_, err := ParseTarget(c.in)
		if err == nil {
			t.Errorf("ParseTarget(%q): no error, want %q", c.in, c.want)
			continue
		}
		if !errors.Is(err, ErrBadTarget) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseTarget(%q) = %v, want one line wrapping ErrBadTarget with %q", c.in, err, c.want)
		}
		if c.in != "" && !strings.Contains(err.Error(), c.in) {
			t.Errorf("ParseTarget(%q) = %v: does not name the value", c.in, err)
		}
	}
	// The writability probe leaves nothing behind.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".demoguard-probe") {
			t.Errorf("probe file %s left in %s", e.Name(), dir)
		}
	}
}
