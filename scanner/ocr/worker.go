package ocr

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/otiai10/gosseract/v2"
)

// MaybeRunWorker turns this process into an OCR worker when it was started as
// one by an Engine (DEMOGUARD_OCR_WORKER=1): it serves requests until the
// parent closes the request pipe and then exits. Otherwise it returns at once.
// Call it first in main() and in TestMain of every test binary that uses an
// Engine, because workers are re-executions of the current binary.
func MaybeRunWorker() {
	if os.Getenv(envWorker) != "1" {
		return
	}
	os.Exit(runWorker())
}

// tessClient owns the one gosseract client of a worker; Close twice aborts
// the process inside Tesseract, hence the Once.
type tessClient struct {
	c    *gosseract.Client
	once sync.Once
}

func (t *tessClient) Close() {
	t.once.Do(func() { _ = t.c.Close() })
}

func runWorker() int {
	in := os.NewFile(reqFD, "ocr-requests")
	out := os.NewFile(respFD, "ocr-responses")
	if in == nil || out == nil {
		fmt.Fprintln(os.Stderr, "ocr worker: request/response descriptors missing")
		return 2
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	enc := gob.NewEncoder(bw)
	dec := gob.NewDecoder(bufio.NewReaderSize(in, 256<<10))
	send := func(r *response) error {
		if err := enc.Encode(r); err != nil {
			return err
		}
		return bw.Flush()
	}

	tc, err := newTessClient(os.Getenv(envLang), os.Getenv(envTessdata))
	if err != nil {
		_ = send(&response{Err: err.Error()})
		return 1
	}
	defer tc.Close()
	if err := send(&response{Ready: true, PID: os.Getpid()}); err != nil {
		return 1
	}
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return 0 // parent closed the pipe: recycled or shut down
			}
			fmt.Fprintln(os.Stderr, "ocr worker: decode request:", err)
			return 1
		}
		resp := &response{}
		words, err := tc.recognize(&req)
		if err != nil {
			resp.Err = err.Error()
		}
		resp.Words = words
		if err := send(resp); err != nil {
			return 1 // parent gone
		}
	}
}

func newTessClient(lang, tessdata string) (*tessClient, error) {
	c := gosseract.NewClient()
	tc := &tessClient{c: c}
	if lang == "" {
		lang = "eng"
	}
	if err := c.SetLanguage(strings.Split(lang, "+")...); err != nil {
		tc.Close()
		return nil, err
	}
	if tessdata != "" {
		if err := c.SetTessdataPrefix(tessdata); err != nil {
			tc.Close()
			return nil, err
		}
	}
	// Tesseract's debug output only costs time in a worker nobody reads.
	_ = c.DisableOutput()
	// Load the model now (~70 ms) so the first real request does not pay it.
	warm := &request{PSM: int(gosseract.PSM_SINGLE_BLOCK), W: 16, H: 16, Pix: make([]byte, 256)}
	for i := range warm.Pix {
		warm.Pix[i] = 255
	}
	if _, err := tc.recognize(warm); err != nil {
		tc.Close()
		return nil, fmt.Errorf("initialise tesseract (lang %q, tessdata %q): %w", lang, tessdata, err)
	}
	return tc, nil
}

// tessMaxSide is the largest image side Tesseract accepts.
const tessMaxSide = 32767

func (t *tessClient) recognize(req *request) ([]wordBox, error) {
	if req.W <= 0 || req.H <= 0 || len(req.Pix) != req.W*req.H {
		return nil, fmt.Errorf("bad request image %dx%d with %d bytes", req.W, req.H, len(req.Pix))
	}
	if req.W > tessMaxSide || req.H > tessMaxSide {
		// Tesseract fails such an image and gosseract then crashes on the
		// missing result: refuse it here, as an error the caller can report.
		return nil, fmt.Errorf("request image %dx%d exceeds Tesseract's %d px limit", req.W, req.H, tessMaxSide)
	}
	hdr := "P5\n" + strconv.Itoa(req.W) + " " + strconv.Itoa(req.H) + "\n255\n"
	buf := make([]byte, 0, len(hdr)+len(req.Pix))
	buf = append(buf, hdr...)
	buf = append(buf, req.Pix...)
	if err := t.c.SetImageFromBytes(buf); err != nil {
		return nil, err
	}
	if err := t.c.SetPageSegMode(gosseract.PageSegMode(req.PSM)); err != nil {
		return nil, err
	}
	boxes, err := t.c.GetBoundingBoxesVerbose()
	if err != nil {
		return nil, err
	}
	words := make([]wordBox, 0, len(boxes))
	for _, b := range boxes {
		if strings.TrimSpace(b.Word) == "" {
			continue
		}
		words = append(words, wordBox{
			X0: int32(b.Box.Min.X), Y0: int32(b.Box.Min.Y), X1: int32(b.Box.Max.X), Y1: int32(b.Box.Max.Y),
			Text: strings.TrimSpace(b.Word), Conf: float32(b.Confidence),
			Block: int32(b.BlockNum), Par: int32(b.ParNum), Line: int32(b.LineNum),
		})
	}
	return words, nil
}
