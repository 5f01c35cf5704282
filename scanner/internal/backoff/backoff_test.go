package backoff

import (
	"reflect"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: 500 * time.Millisecond}
	var got []time.Duration
	for range 5 {
		got = append(got, b.Next())
	}
	want := []time.Duration{100e6, 200e6, 400e6, 500e6, 500e6}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("delays %v, want %v", got, want)
	}
	b.Reset()
	if d := b.Next(); d != 100*time.Millisecond {
		t.Fatalf("after reset %v", d)
	}
	for n, want := range map[int]time.Duration{1: 100e6, 2: 200e6, 4: 500e6, 40: 500e6, 1 << 20: 500e6} {
		if got := Delay(100*time.Millisecond, 500*time.Millisecond, n); got != want {
			t.Errorf("Delay(n=%d) = %v, want %v", n, got, want)
		}
	}
}
