package feed

import (
	"hash/maphash"
	"image"
	"slices"
	"time"
)

// maxHeld bounds the held areas tracked separately; beyond it they are
// merged into their bounding box (more is held, never less).
const maxHeld = 32

// plan is what a tick does to the pixels, decided under f.mu from the
// verdicts and done after it is released.
type plan struct {
	copy    []image.Rectangle // verified (or shown-pending) areas: captured pixels into shown
	restore []image.Rectangle // areas put back to the checking frame after copy
	blur    []blurArea        // pending areas shown blurred
	bake    []image.Rectangle // covers drawn into shown (they stay with those pixels)
	dyn     []image.Rectangle // covers drawn on this output frame only
	write   bool
}

type blurArea struct {
	r      image.Rectangle
	radius int
}

// tick composes the frame due at now (the newest captured frame at least
// Delay old) and writes it.
func (f *Feed) tick(now time.Time) {
	if f.cfg.Start.IsZero() {
		f.cfg.Start = now
	}
	due := now.Add(-f.cfg.Delay)
	var p plan
	heldFrame := false

	f.mu.Lock()
	var changed, later []image.Rectangle
	var newest *frame
	for len(f.line) > 0 && !f.line[0].at.After(due) {
		fr := f.line[0]
		f.line = f.line[1:]
		changed = append(changed, fr.changed...)
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
		// handled region by region afterwards, showing "checking" until
		// then.
		f.held = mergeRects(append(f.held, later...), 1)
		if f.verifiedOutside(last.pieces, f.held) {
			f.checking = false
			p.copy = append(p.copy, last.img.Rect)
			p.restore = append(p.restore, f.held...)
			for _, pc := range last.pieces {
				if !overlapsAny(pc.r, f.held) {
					p.bake = f.covers([]piece{pc}, pc.r, p.bake)
				}
			}
		}
	} else {
		areas := mergeRects(append(f.held, changed...), 1)
		f.held = f.held[:0]
		for _, x := range areas {
			ok, lineH := f.verified(last.pieces, x)
			if ok {
				p.copy = append(p.copy, x)
				p.bake = f.covers(last.pieces, x, p.bake)
				continue
			}
			f.held = append(f.held, x)
			switch f.cfg.Pending {
			case PendingBlur:
				if overlapsAny(x, changed) {
					p.blur = append(p.blur, blurArea{x, max(12, lineH)})
				}
			case PendingShow:
				p.copy = append(p.copy, x)
				p.bake = f.covers(last.pieces, x, p.bake)
			}
		}
		if len(f.held) > maxHeld {
			var u image.Rectangle
			for _, r := range f.held {
				u = u.Union(r)
			}
			f.held = append(f.held[:0], u)
		}
		heldFrame = len(f.held) > 0
		// A verdict that came after these pixels were shown (a rule
		// reload, a finding that needs a second line) covers them now.
		p.dyn = f.covers(last.pieces, last.img.Rect, nil)
	}
	if !f.checking {
		for _, b := range append(p.bake, p.dyn...) {
			f.remember(last.img, b)
		}
		p.dyn = f.recall(last.img, p.dyn)
	}
	p.write = !due.Before(f.cfg.Start)
	f.mu.Unlock()

	for _, r := range p.copy {
		copyRect(f.shown, last.img, r)
	}
	for _, r := range p.restore {
		copyRect(f.shown, f.checkImg, r)
	}
	for _, b := range p.blur {
		copyRect(f.shown, last.img, b.r)
		boxBlur(f.shown, b.r, b.radius, 3)
	}
	for _, r := range p.bake {
		redact(f.shown, r, f.cfg.Redact)
	}
	copyImage(f.out, f.shown)
	for _, r := range p.dyn {
		redact(f.out, r, f.cfg.Redact)
	}
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
	f.stats.Covered = len(p.dyn)
	if heldFrame || f.checking {
		f.stats.HeldFrames += wrote
	}
	f.mu.Unlock()
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

// verified reports whether every piece touching area x has a verdict, and
// the tallest such piece (the line height, for blurring). Called with f.mu
// held.
func (f *Feed) verified(pieces []piece, x image.Rectangle) (bool, int) {
	ok, h := true, 0
	for _, p := range pieces {
		if !p.r.Overlaps(x) {
			continue
		}
		h = max(h, p.r.Dy())
		if _, known := f.verdicts.get(p.key); !known {
			ok = false
		}
	}
	return ok, h
}

// verifiedOutside reports whether every piece not touching the areas has
// a verdict. Called with f.mu held.
func (f *Feed) verifiedOutside(pieces []piece, areas []image.Rectangle) bool {
	for _, p := range pieces {
		if overlapsAny(p.r, areas) {
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
