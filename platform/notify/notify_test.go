package notify

import "testing"

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in     string
		target string
		ok     bool
	}{
		{"lockwatch://repo/nas", "repo/nas", true},
		{"LockWatch://repo/nas", "repo/nas", true},  // schemes are case-insensitive
		{"lockwatch://repo/nas/", "repo/nas", true}, // Windows may append a slash
		{"lockwatch://repo/my%20nas", "repo/my nas", true},
		{"lockwatch://overview", "overview", true},
		{"lockwatch://", "", false},
		{"lockwatch:/repo/nas", "", false},
		{"lockwatch:repo/nas", "", false},
		{"https://repo/nas", "", false},
		{"lockwatch://repo/%zz", "", false},
		{"status", "", false}, // a command name, not a click
		{"", "", false},
	} {
		target, ok := ParseURL(tc.in)
		if target != tc.target || ok != tc.ok {
			t.Errorf("ParseURL(%q) = %q, %v; want %q, %v", tc.in, target, ok, tc.target, tc.ok)
		}
	}
}

func TestTargetURLRoundTrips(t *testing.T) {
	for _, target := range []string{"repo/nas", "repo/my nas", "repo/100%", "repo/a#b?c", "repo/ü"} {
		u := targetURL(target)
		got, ok := ParseURL(u)
		if !ok || got != target {
			t.Errorf("ParseURL(targetURL(%q) = %q) = %q, %v", target, u, got, ok)
		}
	}
}
