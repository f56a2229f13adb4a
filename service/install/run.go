package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	kardianos "github.com/kardianos/service"
)

// stopTimeout bounds how long a stop request waits for run to return. The
// Windows SCM gives a service about 20 s before it calls it hung.
const stopTimeout = 20 * time.Second

// Interactive reports false when the process was started by a service
// manager (Windows SCM, launchd, systemd), true in a terminal or a desktop
// session. It is kardianos/service's answer.
func Interactive() bool { return kardianos.Interactive() }

// RunManaged is what "lockwatch service run" runs. Under a service manager
// run goes through kardianos/service's Run, which on Windows speaks the SCM
// protocol (a Windows service that doesn't is killed after 30 s) and
// elsewhere waits for SIGTERM/SIGINT; in a terminal run is called directly.
// Either way run gets a context that is cancelled on a stop request, SIGINT
// or SIGTERM, and a run that returns because of that cancellation counts as
// a clean stop (nil error, exit status 0: launchd's KeepAlive SuccessfulExit
// then leaves it stopped).
//
// name should be ServiceName: on Windows a per-user (Run key) instance also
// stops when Stop signals the event named after it.
func RunManaged(name string, run func(ctx context.Context) error) error {
	if !Interactive() {
		p := &program{run: run, done: make(chan struct{})}
		s, err := kardianos.New(p, &kardianos.Config{
			Name:   name,
			Option: kardianos.KeyValue{"RunWait": p.wait},
		})
		if err == nil {
			return s.Run()
		}
		// No service system detected: nothing to speak to, run directly.
	}
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	ctx, release := withStopRequest(ctx, name)
	defer release()
	err := run(ctx)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// program adapts run to kardianos/service's Interface.
type program struct {
	run    func(ctx context.Context) error
	cancel context.CancelFunc
	done   chan struct{} // closed when run has returned
	err    error         // run's result, read after done is closed
}

func (p *program) Start(s kardianos.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() {
		p.err = p.run(ctx)
		close(p.done)
		if ctx.Err() == nil && runtime.GOOS == "windows" {
			// run gave up by itself. kardianos's Windows Run only returns
			// after the SCM delivers a stop, so ask the SCM for one rather
			// than linger as a "running" service that does nothing. (On
			// other systems wait below returns on done.)
			go s.Stop()
		}
	}()
	return nil
}

func (p *program) Stop(kardianos.Service) error {
	p.cancel()
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		return fmt.Errorf("lockwatch service did not stop within %s", stopTimeout)
	}
	if errors.Is(p.err, context.Canceled) {
		return nil
	}
	return p.err
}

// wait is kardianos's RunWait outside Windows: it returns on SIGTERM/SIGINT,
// as the default does, and also when run has returned by itself, which the
// default would not notice.
func (p *program) wait() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-sig:
	case <-p.done:
	}
}
