package agent

import "sort"

// Displays returns the displays being watched now, by index: it follows
// monitors plugged in or out while the agent runs (the list printed at
// start-up does not). Empty before Run has listed them.
func (a *Agent) Displays() []Display {
	a.mu.Lock()
	out := make([]Display, 0, len(a.displays))
	for _, ds := range a.displays {
		out = append(out, ds.d)
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}
