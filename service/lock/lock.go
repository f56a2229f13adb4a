// Package lock holds restic's lock record and lockwatch's judgement of it.
package lock

import (
	"encoding/json"
	"fmt"
	"time"
)

// Lock is one file under a repository's locks/ directory, as restic wrote it.
type Lock struct {
	ID        string    `json:"-"`
	Time      time.Time `json:"time"`
	Exclusive bool      `json:"exclusive"`
	Hostname  string    `json:"hostname"`
	Username  string    `json:"username"`
	PID       int       `json:"pid"`
	UID       uint32    `json:"uid,omitempty"`
	GID       uint32    `json:"gid,omitempty"`

	// Problem, when not empty, says why the file could not be read as a
	// lock (empty, undecryptable, malformed). The other fields are then
	// meaningless and the verdict is Invalid.
	Problem string `json:"-"`
	// ProblemKind names the kind of Problem (ProblemEmpty and the others),
	// for the app to say in its user's language.
	ProblemKind string `json:"-"`
}

// The kinds of a lock file's problem.
const (
	ProblemEmpty       = "empty"       // 0 bytes: an interrupted write
	ProblemTooLarge    = "too-large"   // larger than a lock can be
	ProblemHash        = "hash"        // content does not match its name
	ProblemMAC         = "mac"         // does not decrypt with the repository's key
	ProblemUndecodable = "undecodable" // cannot be decrypted or decompressed otherwise
	ProblemMalformed   = "malformed"   // decoded, but no lock record
	ProblemUnreadable  = "unreadable"  // restic could not read it
)

// ShortID is the first 8 hex digits, as restic prints storage IDs.
func (l Lock) ShortID() string {
	if len(l.ID) > 8 {
		return l.ID[:8]
	}
	return l.ID
}

// Parse decodes the JSON restic prints for `cat lock` (and stores, once
// decrypted). A lock without a time or PID is malformed: restic always
// writes both, and judging one without them would be guessing.
func Parse(id string, data []byte) (Lock, error) {
	l := Lock{ID: id}
	if err := json.Unmarshal(data, &l); err != nil {
		return Unreadable(id, ProblemMalformed, fmt.Sprintf("not a lock record: %v", err)), err
	}
	l.ID = id
	switch {
	case l.Time.IsZero():
		return Unreadable(id, ProblemMalformed, "lock record has no time"), fmt.Errorf("lock %s has no time", shortID(id))
	case l.PID <= 0:
		return Unreadable(id, ProblemMalformed, fmt.Sprintf("lock record has no valid PID (%d)", l.PID)), fmt.Errorf("lock %s has no valid PID", shortID(id))
	}
	return l, nil
}

// Unreadable is the Lock for a file that could not be read as a lock:
// its problem's kind, and the problem in English.
func Unreadable(id, kind, problem string) Lock {
	return Lock{ID: id, Problem: problem, ProblemKind: kind}
}

func shortID(id string) string { return Lock{ID: id}.ShortID() }
