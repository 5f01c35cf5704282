package childenv

import (
	"slices"
	"testing"
)

func TestFilter(t *testing.T) {
	tests := []struct {
		kv   string
		kept bool
	}{
		{"DEMOGUARD_TOKEN=t", false},
		{"DEMOGUARD_HUB_TOKEN=t", false},
		{"DEMOGUARD_AGENT_TOKEN=t", false},
		{"DEMOGUARD_TOKEN_FILE=/run/secrets/t", false},
		{"DEMOGUARD_WEBHOOK_SECRET=s", false},
		{"DEMOGUARD_OBS_PASSWORD=p", false},
		{"demoguard_token=t", false},
		// What an action is told about the event stays.
		{"DEMOGUARD_EVENT=alert", true},
		{"DEMOGUARD_SEVERITY=high", true},
		{"DEMOGUARD_RULE=revenue", true},
		{"DEMOGUARD_INCIDENT=a-1", true},
		// The user's own variables are theirs.
		{"PATH=/usr/bin", true},
		{"AWS_SECRET_ACCESS_KEY=x", true},
		{"OMP_THREAD_LIMIT=1", true},
	}
	var env []string
	for _, tt := range tests {
		env = append(env, tt.kv)
	}
	got := Filter(env, "EXTRA=1")
	for _, tt := range tests {
		if slices.Contains(got, tt.kv) != tt.kept {
			t.Errorf("%s: kept %v, want %v", tt.kv, !tt.kept, tt.kept)
		}
	}
	if got[len(got)-1] != "EXTRA=1" {
		t.Errorf("extra not last: %v", got)
	}
}
