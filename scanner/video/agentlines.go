package video

import (
	"image"

	"github.com/demoguard/demoguard/scanner/change"
	"github.com/demoguard/demoguard/scanner/linecache"
)

// agentLines is the live agent's line growing and cache.
type agentLines struct{ *linecache.Cache }

// DefaultCacheSize is the line cache of one recording: the lines of a few
// hundred distinct screens.
const DefaultCacheSize = 16384

// NewAgentLines returns the live agent's line machinery with a cache of n
// entries (0: DefaultCacheSize).
func NewAgentLines(n int) Lines {
	if n <= 0 {
		n = DefaultCacheSize
	}
	return agentLines{linecache.New(n)}
}

func (agentLines) Grow(img *image.RGBA, r image.Rectangle) image.Rectangle {
	return change.Grow(img, r)
}
