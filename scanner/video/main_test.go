package video_test

import (
	"os"
	"testing"

	"github.com/demoguard/demoguard/scanner/ocr"
)

// TestMain lets this test binary serve as an OCR worker process.
func TestMain(m *testing.M) {
	ocr.MaybeRunWorker()
	os.Exit(m.Run())
}
