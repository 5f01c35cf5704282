package scanner

import (
	"image"
)

// The live agent's line machinery, exported for reading recordings
// (scanner/video): a recording is read the way a screen is watched. These
// are thin wrappers so that the stage split can move them without touching
// their callers' logic.

// Segment cuts a changed region into text pieces (lines, cells): the unit
// of OCR and of the cache.
func Segment(img *image.RGBA, r image.Rectangle) []image.Rectangle { return segment(img, r) }

// PieceKey hashes a piece's pixels: the line cache's key.
func PieceKey(img *image.RGBA, r image.Rectangle) uint64 { return pieceKey(img, r) }

// GrowToLines extends a changed box to the whole text lines it cuts.
func GrowToLines(img *image.RGBA, r image.Rectangle) image.Rectangle { return growToLines(img, r) }
