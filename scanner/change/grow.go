package change

import "image"

// Grow extends a changed box to the whole text lines it cuts (see
// growToLines): recordings (scanner/video) find their changed boxes with a
// tolerance for encoder noise, then grow them as the live agent does.
func Grow(img *image.RGBA, r image.Rectangle) image.Rectangle { return growToLines(img, r) }
