//go:build !linux && !darwin && !windows

package process

func watchExit(Info) (*ExitWatch, error) { return nil, ErrNoExitWatch }
