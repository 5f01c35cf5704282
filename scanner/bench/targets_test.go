package bench

import "testing"

// The target check itself, on figures made up to sit each side of a limit.
func TestCheckTargets(t *testing.T) {
	good := Results{Trials: 20, AlertP95MS: 96, P95OverFullFrame: 0.058, StaticCPUPercent: 0.6, RSSSlopeMBPerMin: -0.4, GoroutinesStart: 24, GoroutinesEnd: 24}
	for _, tg := range checkTargets(&good) {
		if !tg.Met {
			t.Errorf("%s: %v over %v reported missed", tg.Name, tg.Measured, tg.Limit)
		}
	}
	bad := good
	bad.AlertP95MS, bad.StaticCPUPercent, bad.RSSSlopeMBPerMin, bad.Missed = 301, 2.5, 4, 3
	missed := map[string]bool{}
	for _, tg := range checkTargets(&bad) {
		if !tg.Met {
			missed[tg.Name] = true
		}
	}
	for _, name := range []string{"notification → alert p95", "CPU on a static screen", "RSS slope during the soak", "notifications missed"} {
		if !missed[name] {
			t.Errorf("%s not reported missed (missed: %v)", name, missed)
		}
	}
	if len(missed) != 4 {
		t.Errorf("missed %v, want exactly those four", missed)
	}
}
