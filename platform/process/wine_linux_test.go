package process

import (
	"testing"

	"github.com/lockwatch/lockwatch/platform/winetest"
)

// Lookup and the exit watch run for real under Wine: the Windows build of
// this package's portable tests (exitwatch_test.go).
func TestWindowsProcessesUnderWine(t *testing.T) { winetest.RunTests(t, ".") }
