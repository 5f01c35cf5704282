//go:build !race

package main

// raceSlack: see shutdownLimit.
const raceSlack = 0

// raceEnabled: built with the race detector (tests).
const raceEnabled = false
