package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lockwatch/lockwatch/service/check"
	"github.com/lockwatch/lockwatch/service/config"
)

// Config is what the settings may show of the configuration in use: no
// password command, env value or password inside a URL.
func (d *Daemon) Config() config.ConfigView {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg.View()
}

// loadForEdit reads the config file afresh, so that an edit made by hand a
// moment ago (not yet reloaded) is not overwritten.
func (d *Daemon) loadForEdit() (*config.Config, error) {
	cfg, err := config.Load(d.opts.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("the config file has a problem; fix it first:\n%w", err)
	}
	return cfg, nil
}

func unknownRepo(name, path string) error {
	return fmt.Errorf("%w: %q is not in %s", ErrUnknownRepo, name, path)
}

// PutRepo adds a repository (oldName "") or changes one, and saves the
// config. Problems with the input come back as field errors; a password
// typed for the keyring is stored there before the config is saved (and
// put back as it was should the save fail).
func (d *Daemon) PutRepo(oldName string, in config.RepoInput) (config.ConfigView, config.FieldErrors, error) {
	d.editing.Lock()
	defer d.editing.Unlock()
	cfg, err := d.loadForEdit()
	if err != nil {
		return config.ConfigView{}, nil, err
	}
	var old *config.Repo
	if oldName != "" {
		r, ok := cfg.Repo(oldName)
		if !ok {
			return config.ConfigView{}, nil, unknownRepo(oldName, cfg.Path)
		}
		old = r
	}
	next, fields := cfg.PutRepo(oldName, in)
	name := strings.TrimSpace(in.Name)
	if in.PasswordKeyring && in.Password == "" && fields["password"] == "" {
		if msg := storedKeyringPassword(old, name); msg != "" {
			fields = addField(fields, "password", msg)
		}
	}
	if len(fields) > 0 {
		return config.ConfigView{}, fields, nil
	}

	var undo func()
	if in.PasswordKeyring {
		pw := in.Password
		if pw == "" && old != nil && old.PasswordKeyring && old.Name != name {
			// A rename moves the entry: it is filed under the repository's name.
			if pw, err = config.KeyringPassword(old.Name); err != nil {
				return config.ConfigView{}, addField(nil, "password", err.Error()), nil
			}
		}
		if pw != "" {
			if undo, err = setKeyring(name, pw); err != nil {
				return config.ConfigView{}, addField(nil, "password",
					err.Error()+"; choose a password file or a password command instead"), nil
			}
		}
	}
	// Only this repository's table changes in the file: the user's
	// comments and layout stay.
	if err := config.SaveRepo(next, oldName, name); err != nil {
		if undo != nil {
			undo()
		}
		return config.ConfigView{}, nil, err
	}
	if old != nil && old.PasswordKeyring && (!in.PasswordKeyring || old.Name != name) {
		d.deleteKeyring(old.Name)
	}
	if old == nil {
		d.log.Info("repository added", "repo", name)
	} else {
		d.log.Info("repository changed", "repo", name, "was", oldName)
	}
	d.applySettings(next)
	return next.View(), nil, nil
}

// storedKeyringPassword checks that a keyring repository saved without a
// typed password has one in the keyring: the old entry, or one set with
// `lockwatch keyring set`. It returns what to tell the user, or "".
func storedKeyringPassword(old *config.Repo, name string) string {
	if old != nil && old.PasswordKeyring {
		name = old.Name
	}
	_, err := config.KeyringPassword(name)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, config.ErrNoKeyringPassword):
		return "type the password: lockwatch keeps it in the OS keyring"
	}
	return err.Error()
}

// setKeyring stores a password and returns how to put back what was there.
func setKeyring(name, pw string) (undo func(), err error) {
	prev, prevErr := config.KeyringPassword(name)
	if err := config.SetKeyringPassword(name, pw); err != nil {
		return nil, err
	}
	return func() {
		if prevErr == nil {
			_ = config.SetKeyringPassword(name, prev)
		} else {
			_ = config.DeleteKeyringPassword(name)
		}
	}, nil
}

func (d *Daemon) deleteKeyring(name string) {
	if err := config.DeleteKeyringPassword(name); err != nil {
		d.log.Warn("removing a password no longer used from the OS keyring", "repo", name, "err", err)
	}
}

func addField(fields config.FieldErrors, field, msg string) config.FieldErrors {
	if fields == nil {
		fields = config.FieldErrors{}
	}
	if prev := fields[field]; prev != "" {
		msg = prev + "; " + msg
	}
	fields[field] = msg
	return fields
}

// applySettings runs the saved config and tells subscribers, so that the
// tray shows an added or renamed repository at once.
func (d *Daemon) applySettings(cfg *config.Config) {
	d.setConfig(cfg, stampOf(d.opts.ConfigPath))
	d.publish(Event{Type: EventConfig, Message: "settings saved"})
}

// DeleteRepo removes a repository from the config, and its password from
// the OS keyring if it kept one there. Its history stays.
func (d *Daemon) DeleteRepo(name string) error {
	d.editing.Lock()
	defer d.editing.Unlock()
	cfg, err := d.loadForEdit()
	if err != nil {
		return err
	}
	old, ok := cfg.Repo(name)
	if !ok {
		return unknownRepo(name, cfg.Path)
	}
	keyring := old.PasswordKeyring
	next, err := cfg.DeleteRepo(name)
	if err != nil {
		return err
	}
	if err := config.SaveRepo(next, name, ""); err != nil {
		return err
	}
	if keyring {
		d.deleteKeyring(name)
	}
	d.log.Info("repository removed", "repo", name)
	d.applySettings(next)
	return nil
}

// TestRepo checks a repository as the form describes it, without saving
// anything. oldName is the repository being edited ("" for a new one):
// masked env values, an unchanged password command and the keyring entry
// come from it. A password typed but not yet saved reaches restic through
// a password file only this user can read, removed right after — never
// through the command line, and never through the keyring, which must not
// change before Save.
func (d *Daemon) TestRepo(ctx context.Context, oldName string, in config.RepoInput) (check.RepoStatus, config.FieldErrors) {
	d.mu.Lock()
	cfg := d.cfg
	d.mu.Unlock()
	name := strings.TrimSpace(in.Name)
	none := check.RepoStatus{Name: name, Locks: []check.LockStatus{}}
	next, fields := cfg.PutRepo(oldName, in)
	var old *config.Repo
	if oldName != "" {
		old, _ = cfg.Repo(oldName)
	}
	if in.PasswordKeyring && in.Password == "" && fields["password"] == "" {
		if msg := storedKeyringPassword(old, name); msg != "" {
			fields = addField(fields, "password", msg)
		}
	}
	if len(fields) > 0 {
		return none, fields
	}
	r, _ := next.Repo(name)
	if r.PasswordKeyring {
		pw := in.Password
		if pw == "" && old != nil && old.PasswordKeyring && old.Name != name {
			// Renamed but not saved: the entry is still under the old name.
			var err error
			if pw, err = config.KeyringPassword(old.Name); err != nil {
				return none, addField(nil, "password", err.Error())
			}
		}
		if pw != "" {
			dir, err := os.MkdirTemp("", "lockwatch-test-")
			if err != nil {
				return none, addField(nil, "", "cannot make a temporary password file: "+err.Error())
			}
			defer os.RemoveAll(dir)
			file := filepath.Join(dir, "password")
			if err := os.WriteFile(file, []byte(pw), 0o600); err != nil {
				return none, addField(nil, "", "cannot write a temporary password file: "+err.Error())
			}
			r.PasswordKeyring, r.PasswordFile = false, file
		}
	}
	d.sem <- struct{}{}
	defer func() { <-d.sem }()
	ctx, cancel := context.WithTimeout(ctx, 3*next.Defaults.Timeout.Duration)
	defer cancel()
	// A checker of its own: the test must not record first-seen times or
	// states of a repository that may never be saved.
	return check.NewChecker(next).Check(ctx, r), nil
}

// SetNotifications turns the tray's notifications on or off in the config.
// SetLanguage sets the app's language in the config.
func (d *Daemon) SetLanguage(language string) error {
	d.editing.Lock()
	defer d.editing.Unlock()
	cfg, err := config.SetLanguage(d.opts.ConfigPath, language)
	if err != nil {
		return err
	}
	d.log.Info("language changed", "language", language)
	d.applySettings(cfg)
	return nil
}

func (d *Daemon) SetNotifications(on bool) error {
	d.editing.Lock()
	defer d.editing.Unlock()
	cfg, err := config.SetNotifications(d.opts.ConfigPath, on)
	if err != nil {
		return err
	}
	d.log.Info("notifications changed", "on", on)
	d.applySettings(cfg)
	return nil
}
