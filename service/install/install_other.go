//go:build !linux && !darwin && !windows

package install

import (
	"errors"
	"fmt"
	"runtime"
)

// Other systems (the BSDs, ...): lockwatch ships for Linux, macOS and
// Windows only, so there is no start-at-login mechanism here; the service
// can still be run by hand with "lockwatch service run".

var errUnsupported = fmt.Errorf("%w: starting the lockwatch service at login is not implemented on %s", errors.ErrUnsupported, runtime.GOOS)

func install(Options) (string, error) { return "", errUnsupported }
func uninstall() (string, error)      { return "", fmt.Errorf("%w (%w)", ErrNotInstalled, errUnsupported) }
func start() error                    { return errUnsupported }
func stop() error                     { return errUnsupported }
func status() (string, error)         { return "not installed (not supported on " + runtime.GOOS + ")", nil }

// osLogDir is "": the service logs under the state dir.
func osLogDir() string { return "" }
