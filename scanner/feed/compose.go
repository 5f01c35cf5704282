package feed

import (
	"github.com/demoguard/demoguard/scanner/internal/geom"
	"hash/maphash"
	"image"
	"slices"
	"time"
)

// plan is what a tick does to the pixels, decided under f.mu from the
// verdicts and done after it is released.
type plan struct {
	// Before the first complete read: changes to the shown frame.
	copy    []image.Rectangle // captured pixels into shown
	restore []image.Rectangle // areas put back to the checking frame after copy
	bake    []image.Rectangle // covers drawn into shown
	// After it: the frame is composed anew from the due frame.
	recompose bool
	keep      []image.Rectangle // held lines: their last shown pixels
	blur      []blurArea        // held lines shown blurred
	covers    []image.Rectangle // findings, covered in the composed frame
	write     bool
}

type blurArea struct {
	r      image.Rectangle
	radius int
}

// tick composes the frame due at now (the newest captured frame at least
// Delay old) and writes it.
//
// Lines are the unit of verdict: every piece of the due frame (a text line
// or cell, keyed by its pixels) with a verdict is shown as captured, its
// findings covered; a piece without one is held (its last shown pixels
// stay), blurred or shown, by --pending — unless the pixel test finds
// nothing text-like in it (motion without text), or only in some rows
// (those rows are held). Pixels outside every piece are blank rows and
// columns or specks too small to read (change.Lines cut them away), and
// are shown. Three rules keep what "a connected area is shown whole" used
// to protect:
//   - a piece cut through a word by its region's edge has no verdict (the
//     agent marks it, see Piece.Cut);
//   - a piece read clean is held while an unread text-like piece lies
//     within one line of it or within the rules' near distance: a verdict
//     that a neighbour could still change (a term wrapped onto the next
//     line, a near rule) is not final, and the audience must not see new
//     pixels beside stale ones form a word that was never on screen;
//   - covers are drawn over every piece with a verdict, held or not.
func (f *Feed) tick(now time.Time) {
	if f.cfg.Start.IsZero() {
		f.cfg.Start = now
	}
	due := now.Add(-f.cfg.Delay)
	var p plan
	heldFrame := false

	f.mu.Lock()
	var later []image.Rectangle
	var newest *frame
	for len(f.line) > 0 && !f.line[0].at.After(due) {
		fr := f.line[0]
		f.line = f.line[1:]
		if !fr.first {
			later = append(later, fr.changed...)
		}
		if newest != nil {
			f.release(newest)
		}
		newest = fr
	}
	if newest != nil {
		if f.last != nil {
			f.release(f.last)
		}
		f.last = newest
	}
	last := f.last
	if last == nil {
		f.mu.Unlock()
		return // nothing captured yet: the output has no size
	}
	sz := last.img.Rect.Size()
	if f.shown == nil || last.gen != f.gen || f.shown.Rect.Size() != sz {
		f.gen = last.gen
		f.shown = image.NewRGBA(image.Rectangle{Max: sz})
		f.next = image.NewRGBA(image.Rectangle{Max: sz})
		f.checkImg = f.cfg.Checking(sz.X, sz.Y)
		copyImage(f.shown, f.checkImg)
		f.out = image.NewRGBA(image.Rectangle{Max: sz})
		f.checking = true
		f.held = nil
	}
	if f.checking {
		// Before the first complete read the audience sees "checking",
		// whatever --pending says: there is no shown screen to hold. What
		// changed since the first frame is set aside (a scrolling terminal
		// would otherwise never let the whole screen be read at once) and
		// left "checking" until its lines are read.
		f.held = mergeRects(append(f.held, later...), 1)
		if f.verifiedOutside(last.pieces, f.held) {
			f.checking = false
			p.copy = append(p.copy, last.img.Rect)
			p.restore = append(p.restore, f.held...)
			for _, pc := range last.pieces {
				if !geom.OverlapsAny(pc.r, f.held) {
					p.bake = f.covers([]piece{pc}, pc.r, p.bake)
				}
			}
			for _, b := range p.bake {
				f.remember(last.img, b)
			}
		}
	} else if newest != nil || f.touched {
		p.recompose = true
		f.decide(last, &p)
		for _, b := range p.covers {
			f.remember(last.img, b)
		}
		p.covers = f.recall(last.img, p.covers)
		heldFrame = len(f.held) > 0
	} else {
		heldFrame = len(f.held) > 0
	}
	f.touched = false
	p.write = !due.Before(f.cfg.Start)
	f.mu.Unlock()

	for _, r := range p.copy {
		copyRect(f.shown, last.img, r)
	}
	for _, r := range p.restore {
		copyRect(f.shown, f.checkImg, r)
	}
	for _, r := range p.bake {
		redact(f.shown, r, f.cfg.Redact)
	}
	if p.recompose {
		copyImage(f.next, last.img)
		for _, r := range p.keep {
			copyRect(f.next, f.shown, r)
		}
		for _, b := range p.blur {
			boxBlur(f.next, b.r, b.radius, 3)
		}
		for _, r := range p.covers {
			redact(f.next, r, f.cfg.Redact)
		}
		f.shown, f.next = f.next, f.shown
	}
	copyImage(f.out, f.shown)
	f.drawPointer(now, due)

	var wrote, refused int64
	if p.write && f.cfg.Out != nil {
		if f.cfg.Out.Write(f.out, due.Sub(f.cfg.Start)) {
			wrote = 1
		} else {
			refused = 1
		}
	}
	f.mu.Lock()
	f.stats.Written += wrote
	f.stats.Refused += refused
	f.stats.Checking = f.checking
	f.stats.Held = len(f.held)
	if f.checking {
		f.stats.Held = 1
	}
	f.stats.HeldShare = f.heldShare(sz)
	if p.recompose {
		f.stats.Covered = len(p.covers)
	}
	if heldFrame || f.checking {
		f.stats.HeldFrames += wrote
	}
	f.mu.Unlock()
}

// decide sets out, for the due frame, which lines are held and which
// findings are covered (see tick), and records the held lines in f.held.
// Called with f.mu held.
func (f *Feed) decide(last *frame, p *plan) {
	type readPiece struct {
		r     image.Rectangle
		boxes []image.Rectangle
	}
	var read []readPiece
	var unread []image.Rectangle // text-like parts of pieces without a verdict
	for _, pc := range last.pieces {
		if boxes, ok := f.verdicts.get(pc.key); ok && !pc.cut {
			var in []image.Rectangle
			for _, b := range boxes {
				if b = b.Add(pc.r.Min).Intersect(pc.area()); !b.Empty() {
					in = append(in, b)
				}
			}
			read = append(read, readPiece{pc.area(), in})
			continue
		}
		var bands []image.Rectangle
		if !pc.clip.Empty() {
			bands = textBands(last.img, pc.clip) // a rest: its own pixels
		} else if rel, ok := f.textless.get(pc.key); ok {
			for _, b := range rel {
				bands = append(bands, b.Add(pc.r.Min))
			}
		} else {
			bands = textBands(last.img, pc.r)
			rel := make([]image.Rectangle, len(bands))
			for i, b := range bands {
				rel[i] = b.Sub(pc.r.Min)
			}
			f.textless.put(pc.key, rel)
		}
		if len(bands) == 0 {
			f.stats.TextFree++
			continue
		}
		unread = append(unread, bands...)
	}
	near := newNearIndex(unread)
	nearPx := 0
	if f.cfg.NearPx != nil && len(unread) > 0 {
		nearPx = f.cfg.NearPx()
	}
	f.held = append(f.held[:0], unread...)
	for _, rp := range read {
		p.covers = append(p.covers, rp.boxes...)
		if near.within(rp.r, nearPx) {
			f.held = append(f.held, rp.r)
		}
	}
	for _, r := range f.held {
		switch f.cfg.Pending {
		case PendingHold:
			p.keep = append(p.keep, r)
		case PendingBlur:
			p.blur = append(p.blur, blurArea{r, max(12, min(r.Dy(), maxLineH))})
		}
	}
}

// maxLineH caps the line height used for reach and blur: a piece taller
// than this is a block of several lines.
const maxLineH = 48

// maxTextless bounds the pixel-test results remembered by content.
const maxTextless = 4096

// nearIndex finds unread text near a line: rectangles sorted by top edge.
type nearIndex struct {
	rs   []image.Rectangle
	maxH int
}

func newNearIndex(rs []image.Rectangle) nearIndex {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b image.Rectangle) int { return a.Min.Y - b.Min.Y })
	n := nearIndex{rs: s}
	for _, r := range s {
		n.maxH = max(n.maxH, r.Dy())
	}
	return n
}

// within reports whether an unread rectangle lies within reach of line r:
// one line above or below, a word gap (1.2 line heights) beside it, or
// nearPx in any direction.
func (n nearIndex) within(r image.Rectangle, nearPx int) bool {
	if len(n.rs) == 0 {
		return false
	}
	h := min(r.Dy(), maxLineH)
	ry, rx := max(h, nearPx), max(h*6/5, 12, nearPx)
	g := image.Rect(r.Min.X-rx, r.Min.Y-ry, r.Max.X+rx, r.Max.Y+ry)
	lo := g.Min.Y - n.maxH
	i, _ := slices.BinarySearchFunc(n.rs, lo, func(a image.Rectangle, y int) int { return a.Min.Y - y })
	for ; i < len(n.rs) && n.rs[i].Min.Y < g.Max.Y; i++ {
		if n.rs[i].Overlaps(g) {
			return true
		}
	}
	return false
}

// heldShare is the share of a frame of size sz held back (overlaps
// counted once per held rectangle; at most 1). Called with f.mu held.
func (f *Feed) heldShare(sz image.Point) float64 {
	if f.checking {
		return 1
	}
	a := 0
	for _, r := range f.held {
		a += r.Dx() * r.Dy()
	}
	return min(1, float64(a)/float64(max(1, sz.X*sz.Y)))
}

// maxRemembered bounds the finding boxes remembered by their pixels.
const maxRemembered = 1024

// remember keeps a covered finding box with the hash of its pixels, so
// that it stays covered wherever those exact pixels are at that place
// again, whatever the agent's pieces there are later (a card that hid half
// of a name and closed: the half under it is read alone and clean, but the
// name's pixels are back). Called with f.mu held.
func (f *Feed) remember(img *image.RGBA, b image.Rectangle) {
	b = b.Intersect(img.Rect)
	if b.Empty() {
		return
	}
	h := pixelHash(img, b)
	if old, ok := f.memory[b]; ok && old == h {
		return
	}
	if f.memory == nil {
		f.memory = map[image.Rectangle]uint64{}
	}
	if _, ok := f.memory[b]; !ok {
		f.memOrder = append(f.memOrder, b)
	}
	f.memory[b] = h
	for len(f.memOrder) > maxRemembered {
		delete(f.memory, f.memOrder[0])
		f.memOrder = f.memOrder[1:]
	}
}

// recall adds to covers the remembered boxes whose pixels are in img.
// Called with f.mu held.
func (f *Feed) recall(img *image.RGBA, covers []image.Rectangle) []image.Rectangle {
	for _, b := range f.memOrder {
		if !b.In(img.Rect) || slices.Contains(covers, b) {
			continue
		}
		if pixelHash(img, b) == f.memory[b] {
			covers = append(covers, b)
		}
	}
	return covers
}

var hashSeed = maphash.MakeSeed()

func pixelHash(img *image.RGBA, r image.Rectangle) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := img.PixOffset(r.Min.X, y)
		h.Write(img.Pix[o : o+4*r.Dx()])
	}
	return h.Sum64()
}

// release returns a frame's buffer for reuse. Called with f.mu held.
func (f *Feed) release(fr *frame) {
	if fr.gen != f.resetGen || fr.img.Rect.Size() != f.size {
		f.nbuf-- // from before a size change: let it go
		return
	}
	f.free = append(f.free, fr.img)
}

// verifiedOutside reports whether every piece not touching the areas has
// a verdict. Called with f.mu held.
func (f *Feed) verifiedOutside(pieces []piece, areas []image.Rectangle) bool {
	for _, p := range pieces {
		if geom.OverlapsAny(p.r, areas) {
			continue
		}
		if _, known := f.verdicts.get(p.key); !known {
			return false
		}
	}
	return true
}

// covers appends the finding boxes (screen coordinates) of the pieces
// touching x. Called with f.mu held.
func (f *Feed) covers(pieces []piece, x image.Rectangle, dst []image.Rectangle) []image.Rectangle {
	for _, p := range pieces {
		if !p.r.Overlaps(x) {
			continue
		}
		boxes, _ := f.verdicts.get(p.key)
		for _, b := range boxes {
			dst = append(dst, b.Add(p.r.Min))
		}
	}
	return dst
}

// drawPointer samples the pointer now and draws the sample taken at due
// (the pointer is delayed like the screen it points at).
func (f *Feed) drawPointer(now, due time.Time) {
	if f.cfg.Pointer == nil || f.cfg.DrawPointer == nil {
		return
	}
	if img, hot, pos, err := f.cfg.Pointer.Sample(); err == nil && img != nil {
		f.ptr = append(f.ptr, ptrSample{at: now, img: img, hot: hot, pos: pos})
	}
	// Keep the newest sample at or before due and everything after it.
	i := 0
	for i+1 < len(f.ptr) && !f.ptr[i+1].at.After(due) {
		i++
	}
	if i > 0 {
		n := copy(f.ptr, f.ptr[i:])
		clear(f.ptr[n:])
		f.ptr = f.ptr[:n]
	}
	if len(f.ptr) > 0 && !f.ptr[0].at.After(due) {
		s := f.ptr[0]
		f.cfg.DrawPointer(f.out, f.cfg.Origin, s.img, s.hot, s.pos)
	}
}

// mergeRects merges rectangles that overlap or lie within slack pixels of
// each other until none do (a connected changed area is one).
func mergeRects(rs []image.Rectangle, slack int) []image.Rectangle {
	out := make([]image.Rectangle, 0, len(rs))
	for _, r := range rs {
		if !r.Empty() {
			out = append(out, r)
		}
	}
	for {
		merged := false
		for i := 0; i < len(out); i++ {
			for j := i + 1; j < len(out); j++ {
				if out[i].Inset(-slack).Overlaps(out[j]) {
					out[i] = out[i].Union(out[j])
					out = append(out[:j], out[j+1:]...)
					merged = true
					j--
				}
			}
		}
		if !merged {
			return out
		}
	}
}
