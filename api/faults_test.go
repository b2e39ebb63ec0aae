package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/postgres/pgtest"
)

// TestDecodeRequired checks that a required field absent or null is a 400
// that names it and records nothing: absent is not false.
func TestDecodeRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/api/v1/zones/" + e.zone.ID + "/versions/1/decision"
	cases := []struct{ name, body, want string }{
		{"ErrNull", `null`, "JSON object"},
		{"ErrEmptyObject", `{}`, `"approve"`},
		{"ErrApproveNull", `{"approve":null}`, `"approve"`},
		{"ErrOnlyReason", `{"reason":"no"}`, `"approve"`},
		{"ErrWrongCase", `{"Approve":false}`, `"Approve"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.journalSize()
			status, h, b := e.do("POST", path, e.tokens["us-op"], c.body)
			if status != 400 || problemCode(t, h, b) != truce.EINVALID || !strings.Contains(problemDetail(t, b), c.want) {
				t.Fatalf("%d %s, want 400 naming %s", status, b, c.want)
			}
			if e.journalSize() != before {
				t.Fatal("a refused decision was journalled")
			}
			vs, err := e.node.Store.ZoneStore().ZoneVersions(context.Background(), e.zone.ID)
			if err != nil || len(vs[0].Decisions) != 0 {
				t.Fatalf("decisions recorded: %+v %v", vs[0].Decisions, err)
			}
		})
	}
	t.Run("ExplicitFalse", func(t *testing.T) {
		status, _, b := e.do("POST", path, e.tokens["us-op"], `{"approve":false,"reason":"too wide"}`)
		if status != 200 || !strings.Contains(string(b), `"approve":false`) {
			t.Fatalf("%d %s", status, b)
		}
	})
}

func problemDetail(t *testing.T, b []byte) string {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("not a problem: %s", b)
	}
	return p.Detail
}

// TestStrictJSON checks the body's encoding: duplicate names, invalid
// UTF-8 and media types that only start like application/json are refused
// and change nothing.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name, body string
		hdr        []string
		status     int
		want       string
	}{
		{"ErrDuplicateName", `{"slug":"jo","name":"Jordan","kind":"guarantor","kind":"monitor"}`, nil, 400, `Duplicate field "kind"`},
		{"ErrDuplicateOtherCase", `{"slug":"jo","name":"Jordan","kind":"guarantor","Kind":"monitor"}`, nil, 400, `Unknown field "Kind"`},
		{"ErrInvalidUTF8", "{\"slug\":\"jo\",\"name\":\"Jord\xffn\",\"kind\":\"guarantor\"}", nil, 400, "UTF-8"},
		{"ErrMediaTypeSuffix", `{"slug":"jo","name":"Jordan","kind":"guarantor"}`, []string{"Content-Type", "application/jsonx"}, 400, "application/json"},
		{"ErrCharset", `{"slug":"jo","name":"Jordan","kind":"guarantor"}`, []string{"Content-Type", "application/json; charset=latin1"}, 400, "UTF-8"},
		{"ErrNotObject", `["jo"]`, nil, 400, "JSON object"},
		{"ErrMissingKind", `{"slug":"jo","name":"Jordan"}`, nil, 400, `"kind" is required`},
		{"CharsetUTF8", `{"slug":"jo","name":"Jordan","kind":"guarantor"}`, []string{"Content-Type", "application/json; charset=UTF-8"}, 201, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.journalSize()
			status, h, b := e.do("POST", "/api/v1/parties", e.admin, c.body, c.hdr...)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, b)
			}
			if c.status == 201 {
				return
			}
			if problemCode(t, h, b) != truce.EINVALID || !strings.Contains(problemDetail(t, b), c.want) {
				t.Fatalf("%s, want a detail with %q", b, c.want)
			}
			if e.journalSize() != before {
				t.Fatal("a refused request changed the journal")
			}
		})
	}
}

// TestRegistryRace registers one ICAO address from two parties at once:
// one 201, the rest 409, and one active entry.
func TestRegistryRace(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		const n = 20
		statuses := atOnce(n, func(i int) int {
			status, _, _ := e.do("POST", "/api/v1/aircraft", e.tokens[[]string{"us-op", "ru-op"}[i%2]], `{"icao":"AE7777"}`)
			return status
		})
		created := 0
		for _, s := range statuses {
			switch s {
			case 201:
				created++
			case 409:
			default:
				t.Fatalf("status %d", s)
			}
		}
		list, err := e.node.Store.Airspace().AircraftList(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		active := 0
		for _, a := range list {
			if a.ICAO == "AE7777" {
				active++
			}
		}
		if created != 1 || active != 1 {
			t.Fatalf("%d created, %d active entries; want 1 and 1 (statuses %v)", created, active, statuses)
		}
	})
}

// TestRegistryRace_TwoServers registers one ICAO address on two servers
// sharing a PostgreSQL database at once: the database keeps one entry.
func TestRegistryRace_TwoServers(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, node.Config{DB: pgtest.DSN(t)})
	urls := []string{e.srv.URL, secondServer(t, e, node.Config{}).URL}
	const n = 20
	statuses := atOnce(n, func(i int) int {
		status, _, _ := doAt(t, urls[i%2], "/api/v1/aircraft", e.tokens[[]string{"us-op", "ru-op"}[i%2]], `{"icao":"AE8888"}`)
		return status
	})
	created := 0
	for _, s := range statuses {
		if s == 201 {
			created++
		} else if s != 409 {
			t.Fatalf("statuses %v", statuses)
		}
	}
	if created != 1 {
		t.Fatalf("%d created on two servers (statuses %v)", created, statuses)
	}
}

// atOnce runs do(0) … do(n-1) at once and returns what each answered.
func atOnce(n int, do func(i int) int) []int {
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = do(i)
		}()
	}
	wg.Wait()
	return statuses
}
