//go:build !windows

package install

import "context"

// withStopRequest: outside Windows, stop requests arrive as SIGTERM (from
// systemctl, launchctl or Stop's kill), which RunManaged already handles.
func withStopRequest(ctx context.Context, name string) (context.Context, func()) {
	return ctx, func() {}
}
