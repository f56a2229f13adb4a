package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print lockwatch's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "lockwatch %s (%s, %s/%s, %s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH, guiBuild)
			return err
		},
	}
}
