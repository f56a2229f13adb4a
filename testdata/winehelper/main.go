// Command winehelper is a test helper, built for Windows and run under
// Wine by the tests in cmd_wine_integration_test.go:
//
//	winehelper auto-unlock CONFIG REPO LEVEL
//
// changes a repository's auto-unlock level through the running service's
// API (the named pipe), as the tray and the settings window do, and fails
// if no service answers;
//
//	winehelper wait
//
// prints its Windows PID and waits to be killed: a live Windows process
// for a lock to name.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/config"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "wait" {
		fmt.Printf("pid %d\n", os.Getpid())
		time.Sleep(time.Hour)
		return
	}
	if len(os.Args) != 5 || os.Args[1] != "auto-unlock" {
		fmt.Fprintln(os.Stderr, "usage: winehelper auto-unlock CONFIG REPO LEVEL | winehelper wait")
		os.Exit(2)
	}
	os.Args = os.Args[1:]
	ctx := context.Background()
	backend, done, err := api.Open(ctx, os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer done()
	if _, ok := backend.(*api.Client); !ok {
		fmt.Fprintf(os.Stderr, "no service answered: %T\n", backend)
		os.Exit(1)
	}
	st, err := backend.SetAutoUnlock(ctx, os.Args[2], config.AutoUnlock(os.Args[3]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("auto-unlock", st.AutoUnlock)
}
