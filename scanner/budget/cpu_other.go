//go:build !unix

package budget

import "time"

// ProcessCPU is not measured on this platform; OCR time is still charged.
func ProcessCPU() time.Duration { return 0 }
