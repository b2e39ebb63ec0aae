package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
)

// clientFlags adds --url and --token (TRUCE_URL, TRUCE_TOKEN) and --json.
type clientFlags struct {
	url, token string
	json       bool
}

func (c *clientFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "url", env("TRUCE_URL", "http://localhost:8080"), "server URL (TRUCE_URL)")
	fs.StringVar(&c.token, "token", env("TRUCE_TOKEN", ""), "API token (TRUCE_TOKEN)")
	fs.BoolVar(&c.json, "json", false, "print JSON")
}

// parse parses the verb's flags and arguments (see the package's parse)
// and returns the client to call the server with.
func (c *clientFlags) parse(fs *flag.FlagSet, args []string, want int) ([]string, *api.Client, error) {
	pos, err := parse(fs, args, want)
	if err != nil {
		return nil, nil, err
	}
	cl, err := c.client()
	return pos, cl, err
}

func (c *clientFlags) client() (*api.Client, error) {
	if c.token == "" {
		return nil, truce.Errorf(truce.EUNAUTHORIZED, "No token: set TRUCE_TOKEN or pass --token.")
	}
	return api.NewClient(c.url, c.token), nil
}

func printJSON(v any) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func table(header string, rows func(w *tabwriter.Writer)) {
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	rows(w)
	w.Flush()
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// problemLine turns an error response into a one-line error.
func problemLine(status int, body []byte) error {
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) == nil && p.Detail != "" {
		return fmt.Errorf("%s", p.Detail)
	}
	return fmt.Errorf("the server answered %d", status)
}

// printList prints what a list verb read: with --json (asJSON), v (the
// items, or the API's page of them) as JSON; otherwise a table of header
// and one row per item, then, when there is a next page, the flag that
// reads it.
func printList[T any](asJSON bool, v any, items []T, next, header string, row func(T) string) error {
	if asJSON {
		return printJSON(v)
	}
	table(header, func(w *tabwriter.Writer) {
		for _, it := range items {
			fmt.Fprintln(w, row(it))
		}
	})
	if next != "" {
		fmt.Fprintf(stdout, "More: --cursor %s\n", next)
	}
	return nil
}
