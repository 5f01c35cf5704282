package scan

import (
	"bytes"
	"testing"
	"time"
)

func TestFormatProgress(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		p    Progress
		now  time.Time
		want string
	}{
		{Progress{Pages: 40, Sources: 9, Started: start}, start, "scan: 0/40 pages, 0/9 files"},
		{Progress{Pages: 40, PagesDone: 10, Sources: 9, SourcesDone: 3, Started: start}, start.Add(5 * time.Second),
			"scan: 10/40 pages, 3/9 files, 2.0 pages/s, ETA 0:15"},
		{Progress{Pages: 10000, PagesDone: 1, Sources: 1, Started: start}, start.Add(2 * time.Second),
			"scan: 1/10000 pages, 0/1 files, 0.5 pages/s, ETA 5:33:18"},
	}
	for _, tc := range tests {
		if got := FormatProgress(tc.p, tc.now); got != tc.want {
			t.Errorf("FormatProgress = %q; want %q", got, tc.want)
		}
	}
}

func TestProgressLineThrottlesAndClears(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	p := &ProgressLine{w: &buf, now: func() time.Time { return now }}
	p.Update(Progress{Pages: 3, PagesDone: 1, Started: now})
	p.Update(Progress{Pages: 3, PagesDone: 2, Started: now}) // same instant: throttled
	p.Update(Progress{Pages: 3, PagesDone: 3, Started: now}) // the last one is always drawn
	p.Done()
	want := "\rscan: 1/3 pages, 0/0 files\x1b[K\rscan: 3/3 pages, 0/0 files\x1b[K\r\x1b[K"
	if buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
	if NewProgressLine(&buf) != nil {
		t.Error("progress line on a buffer, which is not a terminal")
	}
}
