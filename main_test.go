package main

import "testing"

// A click on a Windows toast starts "lockwatch lockwatch://repo/NAME", with
// whatever the shell made of the URL; the app must open that repository.
func TestAppTarget(t *testing.T) {
	for _, c := range []struct {
		args   []string
		target string
		ok     bool
	}{
		{nil, "", true},
		{[]string{"lockwatch://repo/nas"}, "repo/nas", true},
		{[]string{"lockwatch://repo/nas/"}, "repo/nas", true},
		{[]string{"LOCKWATCH://repo/nas"}, "repo/nas", true},
		{[]string{"lockwatch://repo/my%20nas/"}, "repo/my nas", true},
		{[]string{"chekc"}, "", false},
		{[]string{"lockwatch://"}, "", false},
		{[]string{"lockwatch://repo/a", "lockwatch://repo/b"}, "", false},
	} {
		target, ok := appTarget(c.args)
		if target != c.target || ok != c.ok {
			t.Errorf("appTarget(%q) = %q, %v; want %q, %v", c.args, target, ok, c.target, c.ok)
		}
	}
}
