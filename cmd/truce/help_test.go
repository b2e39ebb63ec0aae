package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// runCaptured runs the CLI with args and returns its exit code and all it
// printed.
func runCaptured(args ...string) (int, string) {
	var out bytes.Buffer
	oldOut, oldErr := stdout, stderr
	stdout, stderr = &out, &out
	defer func() { stdout, stderr = oldOut, oldErr }()
	code := run(context.Background(), args)
	return code, out.String()
}

// TestHelp walks every verb and sub-verb in the CLI's own tables: each
// answers --help with exit status 0 and a usage naming it, and every verb
// the top-level help lists exists.
func TestHelp(t *testing.T) {
	subs := func(name string) []string {
		if name == "log" {
			var s []string
			for n := range logVerbs {
				s = append(s, n)
			}
			return s
		}
		return verbs[name].subs
	}
	for name := range verbs {
		code, out := runCaptured(name, "--help")
		if code != 0 || !strings.Contains(out, "Usage: truce "+name) {
			t.Errorf("truce %s --help: exit %d, printed %q; want 0 and a usage naming it", name, code, out)
		}
		for _, sub := range subs(name) {
			code, out := runCaptured(name, sub, "--help")
			if code != 0 || !strings.Contains(out, "Usage: truce "+name+" "+sub) {
				t.Errorf("truce %s %s --help: exit %d, printed %q; want 0 and a usage naming it", name, sub, code, out)
			}
			if !strings.Contains(verbs[name].summary+" "+strings.Join(subs(name), " "), sub) {
				t.Errorf("sub-verb %s %s is in no help", name, sub)
			}
		}
	}
	code, out := runCaptured("--help")
	if code != 0 {
		t.Fatalf("truce --help: exit %d", code)
	}
	listed := regexp.MustCompile(`(?m)^  (\S+)\s+(.*)$`).FindAllStringSubmatch(out, -1)
	if len(listed) != len(verbs) {
		t.Errorf("top-level help lists %d verbs, the table has %d", len(listed), len(verbs))
	}
	for _, m := range listed {
		v, ok := verbs[m[1]]
		if !ok {
			t.Errorf("top-level help lists %q, which is no verb", m[1])
			continue
		}
		// A sub-verb named in a summary ("create, list, show ...
		// agreements") must exist.
		if len(v.subs) > 0 {
			for _, w := range regexp.MustCompile(`[a-z-]+`).FindAllString(strings.SplitN(m[2], " agreements", 2)[0], -1) {
				if w == "and" || !looksLikeSubVerb(w) {
					continue
				}
				found := false
				for _, s := range v.subs {
					found = found || s == w
				}
				if !found {
					t.Errorf("top-level help says %q %q, which is no sub-verb", m[1], w)
				}
			}
		}
	}
}

// looksLikeSubVerb is true of the verbs of the summaries' lists.
func looksLikeSubVerb(w string) bool {
	switch w {
	case "create", "list", "show", "update", "add", "remove", "revoke", "disable", "status", "delete", "edit":
		return true
	}
	return false
}
