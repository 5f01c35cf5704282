package ocr

// The parent and a worker talk over two pipes handed to the worker as file
// descriptors 3 (requests) and 4 (responses), so that anything Tesseract or
// leptonica prints on stdout/stderr can never corrupt the stream. Each pipe
// carries one gob stream: a worker answers every request with exactly one
// response, in order, after a first "ready" response sent once its
// Tesseract instance has loaded the model.

const (
	envWorker   = "DEMOGUARD_OCR_WORKER"
	envLang     = "DEMOGUARD_OCR_LANG"
	envTessdata = "DEMOGUARD_OCR_TESSDATA"
	reqFD       = 3
	respFD      = 4
)

// request is one image to read. Pix is 8-bit grey, row-major, W*H bytes;
// the worker wraps it in a PGM header (uncompressed, cheap for leptonica to
// decode) rather than the parent sending a full encoded file.
type request struct {
	PSM  int
	W, H int
	Pix  []byte
}

// wordBox is one word as Tesseract returned it, in request pixel coordinates.
type wordBox struct {
	X0, Y0, X1, Y1   int32
	Text             string
	Conf             float32 // 0..100 as Tesseract reports it
	Block, Par, Line int32
}

type response struct {
	Ready bool // first message: worker initialised
	PID   int
	Words []wordBox
	Err   string
}
