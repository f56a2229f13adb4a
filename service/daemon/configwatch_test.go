package daemon

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The scheduler sleeps a minute at rest; an edit of the config file (saved
// the way editors save: a new file renamed over the old one) wakes it at
// once, through the watch, not at its next look.
func TestConfigEditWakesTheRestingScheduler(t *testing.T) {
	d, path := newSettingsDaemon(t, "[defaults]\ncheck_interval = \"1h\"\n")
	events, unsubscribe := d.Subscribe()
	defer unsubscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitRest := time.Now().Add(10 * time.Second)
	for d.untilNext(time.Now()) != restWatched {
		if time.Now().After(waitRest) {
			t.Fatalf("the scheduler rests %s, want %s (is the watch running?)", d.untilNext(time.Now()), restWatched)
		}
		time.Sleep(10 * time.Millisecond)
	}

	edited := filepath.Join(filepath.Dir(path), "config.toml.new")
	if err := os.WriteFile(edited, []byte("[defaults]\ncheck_interval = \"2h\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(edited, path); err != nil {
		t.Fatal(err)
	}
	// Well within the minute the scheduler would otherwise sleep.
	deadline := time.After(restWatched / 2)
	for {
		select {
		case ev := <-events:
			if ev.Type == EventConfig {
				d.mu.Lock()
				got := d.cfg.Defaults.CheckInterval.Duration
				d.mu.Unlock()
				if got != 2*time.Hour {
					t.Errorf("after the reload the interval is %s", got)
				}
				return
			}
		case <-deadline:
			t.Fatal("the edit was not seen")
		}
	}
}
