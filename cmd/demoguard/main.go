// Command demoguard keeps confidential things off the big screen.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/demoguard/demoguard/scanner/ocr"
)

func main() {
	ocr.MaybeRunWorker()
	ctx, cancel := signalContext(context.Background(), os.Stderr, os.Exit)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	code := exitCode(err, os.Stderr) // its line may block: still under the shutdown limit
	cancel()                         // disarms the limit: exiting now
	os.Exit(code)
}

func exitCode(err error, stderr *os.File) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "demoguard:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "demoguard:", err)
	return 2
}
