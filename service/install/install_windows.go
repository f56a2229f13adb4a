package install

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	kardianos "github.com/kardianos/service"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/lockwatch/lockwatch/service/config"
)

// Windows: by default a per-user autostart value under HKCU\...\Run, which
// Explorer runs at login (no admin needed, runs as the user, sees the user's
// config and credentials). With Options.System a real Service Control
// Manager service installed through kardianos/service (needs admin; runs as
// LocalSystem from boot, without a login).
//
// The per-user autostart runs under Wine in the tests
// (TestWindowsServiceInstallUnderWine); the SCM service is compiled and
// vetted only, as Wine has no real service manager to test it against.

const (
	runKeyPath   = `Software\Microsoft\Windows\CurrentVersion\Run`
	runValueName = "lockwatch-service"
	runKeyShown  = `HKCU\` + runKeyPath + `\` + runValueName
)

// nopProgram: installing and controlling an SCM service needs no program.
type nopProgram struct{}

func (nopProgram) Start(kardianos.Service) error { return nil }
func (nopProgram) Stop(kardianos.Service) error  { return nil }

// scmService is the kardianos handle on the SCM service; o is only needed
// to install.
func scmService(o *Options) (kardianos.Service, error) {
	cfg := &kardianos.Config{
		Name:        ServiceName,
		DisplayName: "lockwatch",
		Description: description,
	}
	if o != nil {
		argv := o.argv()
		cfg.Executable = argv[0]
		cfg.Arguments = argv[1:]
		cfg.Option = kardianos.KeyValue{
			kardianos.StartType:              kardianos.ServiceStartAutomatic,
			kardianos.OnFailure:              kardianos.OnFailureRestart,
			kardianos.OnFailureDelayDuration: "10s",
		}
	}
	return kardianos.New(nopProgram{}, cfg)
}

// scmStatus: installed, and running.
func scmStatus() (bool, bool, error) {
	s, err := scmService(nil)
	if err != nil {
		return false, false, err
	}
	st, err := s.Status()
	if errors.Is(err, kardianos.ErrNotInstalled) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, st == kardianos.StatusRunning, nil
}

// runValue reads the Run-key command line; "" when there is none.
func runValue() (string, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKeyPath, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer k.Close()
	v, _, err := k.GetStringValue(runValueName)
	if errors.Is(err, registry.ErrNotExist) {
		return "", nil
	}
	return v, err
}

// runCommandLine is the Run value: the binary always quoted (Explorer
// splits an unquoted path at its first space), the arguments quoted as
// CommandLineToArgv expects.
func runCommandLine(argv []string) string {
	line := `"` + argv[0] + `"`
	if len(argv) > 1 {
		line += " " + windows.ComposeCommandLine(argv[1:])
	}
	return line
}

// startDetached starts the Run value's command line now, as Explorer would
// at login: no console window, not tied to this process.
func startDetached(line string) error {
	argv, err := windows.DecomposeCommandLine(line)
	if err != nil || len(argv) == 0 {
		return fmt.Errorf("%s: cannot parse %q: %v", runKeyShown, line, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		HideWindow:    true,
		CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the lockwatch service: %w", err)
	}
	return cmd.Process.Release()
}

// stopInstance asks a running per-user instance to stop (see
// runstop_windows.go) and waits for it to go.
func stopInstance() error {
	running, err := requestStop()
	if err != nil || !running {
		return err
	}
	for deadline := time.Now().Add(stopTimeout); instanceRunning(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("lockwatch service did not stop within %s", stopTimeout)
		}
	}
	return nil
}

func removeRunValue() error {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKeyPath, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	err = k.DeleteValue(runValueName)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	return err
}

func install(o Options) (string, error) {
	if o.System {
		return installSCM(o)
	}
	if ok, _, err := scmStatus(); err == nil && ok {
		return "", fmt.Errorf("the Windows service %q is installed; remove it first (lockwatch service uninstall, as administrator), or two copies would run", ServiceName)
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKeyPath, registry.SET_VALUE)
	if err != nil {
		return "", fmt.Errorf("opening HKCU\\%s: %w", runKeyPath, err)
	}
	line := runCommandLine(o.argv())
	err = k.SetStringValue(runValueName, line)
	k.Close()
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", runKeyShown, err)
	}
	// A copy from an earlier install runs the old command line.
	if err := stopInstance(); err != nil {
		return "", err
	}
	if err := startDetached(line); err != nil {
		return "", fmt.Errorf("wrote %s, but %w", runKeyShown, err)
	}
	return fmt.Sprintf("installed per-user autostart %s (started now, starts at login)", runKeyShown), nil
}

func installSCM(o Options) (string, error) {
	// The service runs as LocalSystem, whose own config directory is not
	// the user's: point it at the installing user's config file.
	if o.ConfigPath == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return "", err
		}
		o.ConfigPath = p
	}
	s, err := scmService(&o)
	if err != nil {
		return "", err
	}
	if ok, _, err := scmStatus(); err == nil && ok {
		// Replace it: kardianos refuses to install over an existing one.
		_ = s.Stop()
		if err := s.Uninstall(); err != nil {
			return "", fmt.Errorf("replacing the Windows service %q: %w (needs an administrator)", ServiceName, err)
		}
	}
	if err := s.Install(); err != nil {
		return "", fmt.Errorf("installing the Windows service %q: %w (needs an administrator)", ServiceName, err)
	}
	if err := s.Start(); err != nil {
		return "", fmt.Errorf("installed the Windows service %q, but starting it failed: %w", ServiceName, err)
	}
	msg := fmt.Sprintf("installed Windows service %q (automatic start at boot as LocalSystem, started now; config %s)", ServiceName, o.ConfigPath)
	// This user's per-user autostart would run a second copy.
	if line, err := runValue(); err == nil && line != "" {
		if err := stopInstance(); err != nil {
			return msg, err
		}
		if err := removeRunValue(); err != nil {
			return msg, err
		}
		msg += "; removed the per-user autostart " + runKeyShown
	}
	return msg, nil
}

func uninstall() (string, error) {
	line, err := runValue()
	if err != nil {
		return "", err
	}
	scm, _, scmErr := scmStatus()
	if line == "" && !scm {
		if scmErr != nil {
			return "", fmt.Errorf("%w (no %s; the service manager could not be asked: %v)", ErrNotInstalled, runKeyShown, scmErr)
		}
		return "", fmt.Errorf("%w (no %s, no Windows service %q)", ErrNotInstalled, runKeyShown, ServiceName)
	}
	var did []string
	if line != "" {
		if err := stopInstance(); err != nil {
			return "", err
		}
		if err := removeRunValue(); err != nil {
			return "", err
		}
		did = append(did, "stopped and removed per-user autostart "+runKeyShown)
	}
	if scm {
		s, err := scmService(nil)
		if err != nil {
			return "", err
		}
		_ = s.Stop() // fails when already stopped; Uninstall still works
		if err := s.Uninstall(); err != nil {
			return "", fmt.Errorf("removing the Windows service %q: %w (needs an administrator)", ServiceName, err)
		}
		did = append(did, fmt.Sprintf("stopped and removed Windows service %q", ServiceName))
	}
	return strings.Join(did, "; "), nil
}

func start() error {
	if scm, running, err := scmStatus(); err == nil && scm {
		if running {
			return nil
		}
		s, err := scmService(nil)
		if err != nil {
			return err
		}
		return s.Start()
	}
	line, err := runValue()
	if err != nil {
		return err
	}
	if line == "" {
		return ErrNotInstalled
	}
	if instanceRunning() {
		return nil
	}
	return startDetached(line)
}

func stop() error {
	if scm, running, err := scmStatus(); err == nil && scm {
		if !running {
			return nil
		}
		s, err := scmService(nil)
		if err != nil {
			return err
		}
		return s.Stop()
	}
	line, err := runValue()
	if err != nil {
		return err
	}
	if line == "" {
		return ErrNotInstalled
	}
	return stopInstance()
}

func status() (string, error) {
	var parts []string
	scm, running, err := scmStatus()
	if err != nil {
		return "", err
	}
	if scm {
		state := "stopped"
		if running {
			state = "running"
		}
		parts = append(parts, fmt.Sprintf("installed, %s (Windows service %q)", state, ServiceName))
	}
	line, err := runValue()
	if err != nil {
		return "", err
	}
	if line != "" {
		state := "stopped"
		if instanceRunning() {
			state = "running"
		}
		parts = append(parts, "installed, "+state+" (per-user autostart "+runKeyShown+"; starts at login)")
	}
	if len(parts) == 0 {
		return "not installed", nil
	}
	return strings.Join(parts, "; "), nil
}

// osLogDir is "": the service logs under the state dir.
func osLogDir() string { return "" }
