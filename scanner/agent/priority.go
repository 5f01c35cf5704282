package agent

import (
	"image"
	"time"
)

// What is read first. The OCR workers are the scarce resource; three kinds
// of change compete for them, and each must not starve the others:
//
//   - a small change in a calm area (a notification, an edited cell) is
//     what leaks in a talk and is cheap: it has a lane of its own, served
//     oldest first and ahead of everything else for a worker (urgent);
//   - a large change (a window switched to, a new slide) is read newest
//     first and, inside it, the lines most likely to hold an amount, a name
//     or a marker first (likely);
//   - an area that keeps changing (a scrolling log, a video, typing) is
//     read when nothing else waits, or once its oldest unread content has
//     waited hotAge: its scrolled lines come from the cache, its new ones
//     are read late but read.
type class uint8

const (
	classNew class = iota
	classBig
	classHot
)

// lane is an OCR loop: the urgent lane reads classNew jobs, the bulk lane
// the others. Two loops, so a notification never waits for a batch of a
// big read to be taken and finished first.
type lane uint8

const (
	laneUrgent lane = iota
	laneBulk
	lanes
)

func (c class) lane() lane {
	if c == classNew {
		return laneUrgent
	}
	return laneBulk
}

// quickShare: with the audience feed on, a read in a hot area of at most
// 1/quickShare of the display (a line or two: 1,600×20 px at 1080p) is
// read at once in the urgent lane.
const quickShare = 64

// hotAge is how long content in an area that keeps changing may wait
// behind large changes before it is read anyway.
const hotAge = time.Second

// Heat map: an area is hot when it changed hotChanges times within
// hotWindow. A notification appears and disappears (two changes, seconds
// apart); a log scrolling twice a second, a video or typing change on
// almost every frame.
const (
	heatCell   = 64
	hotChanges = 4
	hotWindow  = 2 * time.Second
)

// heat remembers, per heatCell square of a display, the times of its last
// hotChanges changes (newest first; Unix nanoseconds, 0: none).
type heat struct {
	cols, rows int
	last       [][hotChanges]int64
	read       []int64 // when each cell was last read by OCR
}

func newHeat(size image.Point) *heat {
	c, r := (size.X+heatCell-1)/heatCell, (size.Y+heatCell-1)/heatCell
	return &heat{cols: c, rows: r, last: make([][hotChanges]int64, c*r), read: make([]int64, c*r)}
}

// markRead records that r was read at t.
func (h *heat) markRead(r image.Rectangle, t time.Time) {
	h.cells(r, func(i int) { h.read[i] = max(h.read[i], t.UnixNano()) })
}

// readAgain says how long until an area that keeps changing may be read
// again: it is read about once every hotAge (a video's frames are stale by
// the time they are read; a log's new lines can wait a second), so that it
// does not take every worker and the whole budget. 0: now.
func (h *heat) readAgain(r image.Rectangle, now time.Time) time.Duration {
	oldest := int64(-1)
	h.cells(r, func(i int) {
		if oldest < 0 || h.read[i] < oldest {
			oldest = h.read[i]
		}
	})
	if oldest <= 0 {
		return 0
	}
	return max(0, time.Duration(oldest)+hotAge-time.Duration(now.UnixNano()))
}

func (h *heat) cells(r image.Rectangle, f func(i int)) {
	x0, y0 := max(0, r.Min.X/heatCell), max(0, r.Min.Y/heatCell)
	x1, y1 := min(h.cols, (r.Max.X+heatCell-1)/heatCell), min(h.rows, (r.Max.Y+heatCell-1)/heatCell)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			f(y*h.cols + x)
		}
	}
}

// mark records that r changed at at (once per cell and frame).
func (h *heat) mark(r image.Rectangle, at time.Time) {
	t := at.UnixNano()
	h.cells(r, func(i int) {
		l := &h.last[i]
		if l[0] == t {
			return
		}
		copy(l[1:], l[:hotChanges-1])
		l[0] = t
	})
}

// hot reports whether most of r keeps changing as of now.
func (h *heat) hot(r image.Rectangle, now time.Time) bool {
	n, hotN := 0, 0
	since := now.Add(-hotWindow).UnixNano()
	h.cells(r, func(i int) {
		n++
		if oldest := h.last[i][hotChanges-1]; oldest != 0 && oldest >= since {
			hotN++
		}
	})
	return n > 0 && 2*hotN >= n
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// before orders the queue within a lane: true when j is to be read before k.
func before(j, k *job, now time.Time) bool {
	if j.lane() == laneUrgent || k.lane() == laneUrgent {
		// Small changes: oldest first (each is cheap; none may wait long).
		if !j.first.Equal(k.first) {
			return j.first.Before(k.first)
		}
		return readingOrder(j, k)
	}
	ja, ka := j.class == classHot && now.Sub(j.first) >= hotAge, k.class == classHot && now.Sub(k.first) >= hotAge
	if ja != ka {
		return ja
	}
	if ja {
		return j.first.Before(k.first)
	}
	if j.class != k.class {
		return j.class == classBig
	}
	if j.class == classHot {
		return j.first.Before(k.first)
	}
	// Big changes: the newest first (what is on screen now), inside one the
	// likeliest lines first.
	if !j.at.Equal(k.at) {
		return j.at.After(k.at)
	}
	if j.score != k.score {
		return j.score > k.score
	}
	return readingOrder(j, k)
}

func readingOrder(j, k *job) bool {
	if j.rect.Min.Y != k.rect.Min.Y {
		return j.rect.Min.Y < k.rect.Min.Y
	}
	return j.rect.Min.X < k.rect.Min.X
}

// minWindow is the smallest drawing read on its own inside an area that
// keeps changing: a notification or a window, not a caret or a glyph typed.
var minWindow = image.Pt(64, 24)

// Damage history: a rectangle drawn again and again (a video's window, a
// terminal's) is not news; a rectangle drawn for the first time (a
// notification's window) is. Rectangles are the same when every side is
// within damageSlack pixels.
const (
	damageSlack  = 8
	damageMemory = 2 * time.Second
	maxDamage    = 128
)

type damageRec struct {
	r    image.Rectangle
	last time.Time
}

// freshDamage returns, in display coordinates, the rectangles of damaged
// (root coordinates) on this display that were not drawn in the last
// damageMemory, and remembers them all.
func (ds *dispState) freshDamage(damaged []image.Rectangle, at time.Time) []image.Rectangle {
	var fresh []image.Rectangle
	keep := ds.damage[:0]
	for _, d := range ds.damage {
		if at.Sub(d.last) <= damageMemory {
			keep = append(keep, d)
		}
	}
	ds.damage = keep
	for _, r := range damaged {
		r = r.Intersect(ds.d.Bounds)
		if r.Empty() {
			continue
		}
		r = r.Sub(ds.d.Bounds.Min)
		seen := false
		for i := range ds.damage {
			if near(ds.damage[i].r, r) {
				ds.damage[i].last, seen = at, true
				break
			}
		}
		if seen {
			continue
		}
		fresh = append(fresh, r)
		if len(ds.damage) < maxDamage {
			ds.damage = append(ds.damage, damageRec{r: r, last: at})
		}
	}
	return fresh
}

// drewLately reports whether r (display coordinates) was drawn within
// damageMemory of now.
func (ds *dispState) drewLately(r image.Rectangle, now time.Time) bool {
	for _, d := range ds.damage {
		if near(d.r, r) && now.Sub(d.last) <= damageMemory {
			return true
		}
	}
	return false
}

func near(a, b image.Rectangle) bool {
	return absInt(a.Min.X-b.Min.X) <= damageSlack && absInt(a.Min.Y-b.Min.Y) <= damageSlack &&
		absInt(a.Max.X-b.Max.X) <= damageSlack && absInt(a.Max.Y-b.Max.Y) <= damageSlack
}
