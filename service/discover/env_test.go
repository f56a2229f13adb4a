package discover

import "testing"

func TestFromEnviron(t *testing.T) {
	found := FromEnviron([]string{
		"HOME=/home/alice",
		"PATH=/usr/bin:/bin",
		"RESTIC_REPOSITORY=s3:s3.amazonaws.com/alice-backups/desktop",
		"RESTIC_PASSWORD=CANARY-s3cr3t-env",
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY=CANARY-s3cr3t-env",
		"RESTIC_FROM_REPOSITORY=/srv/old", // restic copy's source, not this repository
		"RESTIC_COMPRESSION=max",          // does not change whether restic can reach it
		"GITHUB_TOKEN=CANARY-s3cr3t-unrelated",
	})
	checkFound(t, found, []Found{{
		Source: SourceEnv, Name: "desktop",
		Repository: "s3:s3.amazonaws.com/alice-backups/desktop",
		Password:   "CANARY-s3cr3t-env",
		Env:        secrets("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY", "CANARY-s3cr3t-env"),
	}})
	if got := FromEnviron([]string{"RESTIC_PASSWORD=x", "PATH=/bin"}); got != nil {
		t.Errorf("an environment without a repository gives %v", got)
	}
}
