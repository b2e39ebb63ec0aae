package main

import (
	"bytes"
	"fmt"
	"testing"
)

// TestPrintList: the list verbs' one printer writes the table, aligned,
// with one row per item and the flag for the next page only when there
// is one; with --json it writes the value it was given (the items or
// the API's page), not the table.
func TestPrintList(t *testing.T) {
	type item struct {
		ID   string
		Name string
	}
	items := []item{{"a1", "first"}, {"b22", "second"}}
	row := func(it item) string { return fmt.Sprintf("%s\t%s", it.ID, it.Name) }
	printed := func(asJSON bool, v any, next string) string {
		t.Helper()
		var out bytes.Buffer
		old := stdout
		stdout = &out
		defer func() { stdout = old }()
		if err := printList(asJSON, v, items, next, "ID\tNAME", row); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if got, want := printed(false, items, ""), "ID   NAME\na1   first\nb22  second\n"; got != want {
		t.Errorf("table:\n%q\nwant\n%q", got, want)
	}
	if got, want := printed(false, items, "c3"), "ID   NAME\na1   first\nb22  second\nMore: --cursor c3\n"; got != want {
		t.Errorf("table with a next page:\n%q\nwant\n%q", got, want)
	}
	page := map[string]any{"items": items, "next_cursor": "c3"}
	if got, want := printed(true, page, "c3"), "{\n  \"items\": [\n    {\n      \"ID\": \"a1\",\n      \"Name\": \"first\"\n    },\n    {\n      \"ID\": \"b22\",\n      \"Name\": \"second\"\n    }\n  ],\n  \"next_cursor\": \"c3\"\n}\n"; got != want {
		t.Errorf("JSON:\n%s\nwant\n%s", got, want)
	}
}
