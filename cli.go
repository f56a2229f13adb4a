package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/lockwatch/lockwatch/service/config"
	"github.com/spf13/cobra"
)

// configPath is --config, else $LOCKWATCH_CONFIG, else the OS default.
func configPath(cmd *cobra.Command) (string, error) {
	if p, _ := cmd.Flags().GetString("config"); p != "" {
		return p, nil
	}
	return config.DefaultPath()
}

// loadConfig reads the config the command line points at.
func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	path, err := configPath(cmd)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no config file at %s; run `lockwatch demo` to try lockwatch on a demo repository, or write one (see README.md)", path)
	}
	return cfg, err
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
