// Package linecache remembers what OCR read in a text line, keyed by the
// line's pixels (not its place or the frame it came from): a line that
// scrolled, a window that moved, or the same slide shown again costs no OCR,
// and the same pixels always get the same answer.
package linecache

import (
	"container/list"
	"hash/maphash"
	"image"
	"sync"

	"github.com/demoguard/demoguard/rules"
)

// hashSeed is per process: the cache lives in memory only, so the hash need
// not be stable across runs.
var hashSeed = maphash.MakeSeed()

// Key hashes the pixels of r (and its size, so two crops of the same
// bytes with different shapes differ). Position is not part of the key: a
// line that scrolled or a window that moved is the same text.
func Key(img *image.RGBA, r image.Rectangle) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	var sz [8]byte
	w, ht := r.Dx(), r.Dy()
	sz[0], sz[1], sz[2], sz[3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
	sz[4], sz[5], sz[6], sz[7] = byte(ht), byte(ht>>8), byte(ht>>16), byte(ht>>24)
	h.Write(sz[:])
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := img.PixOffset(r.Min.X, y)
		h.Write(img.Pix[o : o+4*w])
	}
	return h.Sum64()
}

// Cache holds OCR results of pieces keyed by their pixels, with lines stored
// relative to the piece's origin so a hit can be placed anywhere. LRU with a
// fixed number of entries: a long talk must not grow memory.
type Cache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[uint64]*list.Element
	hits  uint64
	miss  uint64
}

type cacheEntry struct {
	key   uint64
	lines []rules.Line // relative to the piece origin
}

// New makes a cache of at most max entries.
func New(max int) *Cache {
	return &Cache{max: max, ll: list.New(), items: make(map[uint64]*list.Element)}
}

// Get returns the lines for key placed at origin, and whether it was cached.
func (c *Cache) Get(key uint64, origin image.Point) ([]rules.Line, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		c.miss++
		return nil, false
	}
	c.hits++
	c.ll.MoveToFront(e)
	return translateLines(e.Value.(*cacheEntry).lines, origin), true
}

// Put stores lines (in source coordinates) read from a piece at origin.
func (c *Cache) Put(key uint64, origin image.Point, lines []rules.Line) {
	rel := translateLines(lines, image.Pt(-origin.X, -origin.Y))
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		e.Value.(*cacheEntry).lines = rel
		c.ll.MoveToFront(e)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, lines: rel})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cacheEntry).key)
	}
}

// Stats returns hits, misses and the number of entries.
func (c *Cache) Stats() (hits, misses uint64, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.miss, c.ll.Len()
}

// translateLines returns a deep copy of lines moved by d (the cache must not
// share word slices with the screen model, which edits them).
func translateLines(lines []rules.Line, d image.Point) []rules.Line {
	out := make([]rules.Line, len(lines))
	for i, l := range lines {
		nl := rules.Line{Box: moveBox(l.Box, d), Block: l.Block, Words: make([]rules.Word, len(l.Words))}
		for j, w := range l.Words {
			w.Box = moveBox(w.Box, d)
			nl.Words[j] = w
		}
		out[i] = nl
	}
	return out
}

func moveBox(b rules.Box, d image.Point) rules.Box {
	if b.Empty() {
		return b
	}
	b.X += d.X
	b.Y += d.Y
	return b
}
