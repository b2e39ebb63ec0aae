package main_test

import (
	"strings"
	"testing"
)

// cliServer is what a CLI test of a capability starts from: a server over
// a fresh data directory, the administrator's token that init printed, and
// the binary run against the server with a token.
type cliServer struct {
	t     *testing.T
	dir   string
	admin string
	srv   *server
}

func newCLIServer(t *testing.T) *cliServer {
	t.Helper()
	dir := t.TempDir()
	tok := initData(t, dir)
	return &cliServer{t: t, dir: dir, admin: tok, srv: startServer(t, dir, freeAddr(t))}
}

// env is the environment that points the binary at the server with token.
func (c *cliServer) env(token string) []string {
	return []string{"TRUCE_URL=" + c.srv.url, "TRUCE_TOKEN=" + token}
}

// cmd runs the binary with token and returns its output, errors and exit code.
func (c *cliServer) cmd(token string, args ...string) (string, string, int) {
	c.t.Helper()
	return truceCmd(c.t, c.env(token), args...)
}

// run runs the binary with token and fails the test unless it exits 0.
func (c *cliServer) run(token string, args ...string) string {
	c.t.Helper()
	out, errs, code := c.cmd(token, args...)
	if code != 0 {
		c.t.Fatalf("truce %v: exit %d: %s", args, code, errs)
	}
	return out
}

// fail runs the binary with token and fails the test unless it exits
// non-zero with one line of errors that contains want.
func (c *cliServer) fail(token, want string, args ...string) {
	c.t.Helper()
	_, errs, code := c.cmd(token, args...)
	if code == 0 || !strings.Contains(errs, want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		c.t.Fatalf("truce %v: exit %d, stderr %q; want one line with %q", args, code, errs, want)
	}
}

// guarantors adds a guarantor party per slug, with an operator
// "SLUG-op", and returns each operator's token by slug.
func (c *cliServer) guarantors(slugs ...string) map[string]string {
	c.t.Helper()
	tokens := map[string]string{}
	for _, p := range slugs {
		c.run(c.admin, "party", "add", "--slug", p, "--name", p, "--kind", "guarantor")
		c.run(c.admin, "user", "add", "--party", p, "--username", p+"-op", "--roles", "operator")
		tokens[p] = tokenRE.FindString(c.run(c.admin, "token", "create", "--user", p+"-op", "--name", "cli"))
	}
	return tokens
}
