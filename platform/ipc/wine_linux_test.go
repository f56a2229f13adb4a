package ipc_test

import (
	"testing"

	"github.com/lockwatch/lockwatch/platform/winetest"
)

// The named pipes run for real under Wine: the Windows build of this
// package's tests (ipc_test.go, ipc_windows_test.go).
func TestWindowsPipesUnderWine(t *testing.T) { winetest.RunTests(t, ".") }
