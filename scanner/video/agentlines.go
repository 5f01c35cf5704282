package video

import (
	"image"

	"github.com/demoguard/demoguard/scanner"
)

// agentLines is the live agent's segmentation, line growing and cache.
type agentLines struct{ *scanner.Cache }

// DefaultCacheSize is the line cache of one recording: the lines of a few
// hundred distinct screens.
const DefaultCacheSize = 16384

// NewAgentLines returns the live agent's line machinery with a cache of n
// entries (0: DefaultCacheSize).
func NewAgentLines(n int) Lines {
	if n <= 0 {
		n = DefaultCacheSize
	}
	return agentLines{scanner.NewCache(n)}
}

func (agentLines) Segment(img *image.RGBA, r image.Rectangle) []image.Rectangle {
	return scanner.Segment(img, r)
}

func (agentLines) Grow(img *image.RGBA, r image.Rectangle) image.Rectangle {
	return scanner.GrowToLines(img, r)
}

func (agentLines) Key(img *image.RGBA, r image.Rectangle) uint64 { return scanner.PieceKey(img, r) }
