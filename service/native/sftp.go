package native

import (
	"context"
	"errors"
)

// OpenSFTP opens an sftp: repository (placeholder until the SFTP backend lands).
func OpenSFTP(ctx context.Context, repository string, env []string) (Backend, error) {
	return nil, errors.ErrUnsupported
}
