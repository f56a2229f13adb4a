// Package client is how the app's two processes — the tray and the window
// process — reach the lockwatch service, and each other. It has no UI.
package client

import (
	"fyne.io/fyne/v2/lang"

	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/lockwatch/lockwatch/platform/paths"
	"github.com/lockwatch/lockwatch/service/api"
)

// InAppNote is the note of a process that runs the checks itself, in the
// user's language.
func InAppNote() string {
	return lang.L("Checks run inside this app: no lockwatch service is running (lockwatch service install starts one at login).")
}

// Connect finds the service: the one running with this config, else one
// started inside this process, else any running one (with another config).
// note says where the checks run when that is worth telling the user.
// Hosting the service here also opens its socket, so the CLI and the
// window process reach it.
func Connect(ctx context.Context, cfgPath string) (b api.Backend, note string, err error) {
	if c, _ := api.Connect(ctx, cfgPath); c != nil {
		return c, "", nil
	}
	stateDir, err := paths.StateDir()
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, "", err
	}
	logFile, err := os.OpenFile(filepath.Join(stateDir, "app.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, "", err
	}
	log := slog.New(slog.NewTextHandler(logFile, nil))
	svc, err := api.NewServer(cfgPath, log)
	if errors.Is(err, api.ErrAlreadyRunning) {
		if c, st := api.Connect(ctx, ""); c != nil {
			return c, lang.L("The running lockwatch service watches {{.Path}}.", map[string]any{"Path": st.ConfigPath}), nil
		}
	}
	if err != nil {
		return nil, "", err
	}
	note = InAppNote()
	// The socket only lets the CLI in: without it the app still checks.
	if err := svc.Listen(); err != nil {
		log.Warn("checking without a local API", "err", err)
		note += " " + lang.L("The lockwatch command cannot reach this app ({{.Error}}), so it checks on its own.", map[string]any{"Error": err.Error()})
	}
	// Checks start once the app listens to their news: a stale lock found
	// by the very first check is news too.
	start := sync.OnceFunc(func() { go svc.Run(ctx) })
	return api.Local{Daemon: svc.Daemon, OnSubscribe: start}, note, nil
}
