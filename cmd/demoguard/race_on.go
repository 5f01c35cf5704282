//go:build race

package main

import "time"

// raceSlack: see shutdownLimit.
const raceSlack = 3 * time.Second

// raceEnabled: built with the race detector (tests).
const raceEnabled = true
