// Command wineapi is a test helper, built for Windows and run under Wine by
// TestWindowsServiceUnderWine: it changes a repository's auto-unlock level
// through the running service's API (the named pipe), as the tray and the
// settings window do, and fails if no service answers.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/lockwatch/lockwatch/service/api"
	"github.com/lockwatch/lockwatch/service/config"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: wineapi CONFIG REPO LEVEL")
		os.Exit(2)
	}
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
