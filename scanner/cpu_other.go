//go:build !unix

package scanner

import "time"

// processCPU is not measured on this platform; OCR time is still charged.
func processCPU() time.Duration { return 0 }
