package native

import (
	"context"
	"errors"
)

// OpenS3 opens an s3: repository (placeholder until the S3 backend lands).
func OpenS3(ctx context.Context, repository string, env []string) (Backend, error) {
	return nil, errors.ErrUnsupported
}
