package native

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// snapshotInfo is the part of a snapshot record freshness checks need.
type snapshotInfo struct {
	Time     time.Time `json:"time"`
	Hostname string    `json:"hostname"`
	Tags     []string  `json:"tags"`
	Paths    []string  `json:"paths"`
}

// LatestSnapshot finds the newest snapshot from host (any when ""), with
// all of tags and all of paths, as `restic snapshots --latest 1` would. It
// lists snapshots/ once and reads only snapshots it has not read before.
func (r *Repo) LatestSnapshot(ctx context.Context, host string, tags, paths []string) (time.Time, bool, error) {
	key, version, err := r.keyAndVersion(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	files, err := r.be.List(ctx, "snapshots")
	if err != nil {
		return time.Time{}, false, err
	}
	r.forgetSnapshotsNotIn(files)
	var latest time.Time
	for _, f := range files {
		if !isID(f.Name) || f.Size == 0 {
			continue
		}
		snap, err := r.snapshot(ctx, key, version, f.Name)
		if errors.Is(err, ErrNotExist) {
			continue // forgotten since the listing
		}
		if err != nil {
			return time.Time{}, false, err
		}
		if host != "" && snap.Hostname != host {
			continue
		}
		if !containsAll(snap.Tags, tags) || !containsAll(snap.Paths, paths) {
			continue
		}
		if snap.Time.After(latest) {
			latest = snap.Time
		}
	}
	return latest, !latest.IsZero(), nil
}

func (r *Repo) snapshot(ctx context.Context, key *cryptoKey, version uint, id string) (snapshotInfo, error) {
	// Like locks, snapshot files are content-addressed: each is read once.
	r.mu.Lock()
	snap, ok := r.snapshots[id]
	r.mu.Unlock()
	if ok {
		return snap, nil
	}
	data, err := r.be.Read(ctx, "snapshots/"+id)
	if err != nil {
		return snap, err
	}
	if !matchesID(id, data) {
		return snap, fmt.Errorf("snapshot %s: content does not match its name", id[:8])
	}
	plain, err := key.open(data)
	if err != nil {
		return snap, fmt.Errorf("snapshot %s: %v", id[:8], err)
	}
	js, err := decodeUnpacked(version, plain)
	if err != nil {
		return snap, fmt.Errorf("snapshot %s: %v", id[:8], err)
	}
	if err := json.Unmarshal(js, &snap); err != nil {
		return snap, fmt.Errorf("snapshot %s: %v", id[:8], err)
	}
	r.mu.Lock()
	if r.snapshots == nil {
		r.snapshots = map[string]snapshotInfo{}
	}
	r.snapshots[id] = snap
	r.mu.Unlock()
	return snap, nil
}

// forgetSnapshotsNotIn drops snapshots that forget/prune removed, so the
// cache holds no more than the repository does.
func (r *Repo) forgetSnapshotsNotIn(files []FileInfo) {
	listed := make(map[string]bool, len(files))
	for _, f := range files {
		listed[f.Name] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.snapshots {
		if !listed[id] {
			delete(r.snapshots, id)
		}
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, strings.TrimSpace(w)) {
			return false
		}
	}
	return true
}
