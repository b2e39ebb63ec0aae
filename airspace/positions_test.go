package airspace_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/feed"
)

// TestPositions_WholeBatchFirst: a batch of one line too many is refused
// with 413 and nothing of it reaches the monitor; a batch taken hands the
// monitor its good lines at once and reports what the monitor did.
func TestPositions_WholeBatchFirst(t *testing.T) {
	var used [][]feed.Position
	ps := &airspace.Positions{MaxLines: 10, Use: func(_ context.Context, b []feed.Position) airspace.Usage {
		used = append(used, b)
		return airspace.Usage{Used: len(b) - 1, Refused: map[string]int{"too_old": 1}}
	}}
	actor := &truce.Caller{User: &truce.User{Roles: []truce.Role{truce.RoleOperator}}, Party: &truce.Party{Slug: "us"}}
	post := func(body string) (truce.IngestResult, error) {
		return ps.IngestNDJSON(truce.NewContext(context.Background(), actor), "", strings.NewReader(body))
	}
	now := time.Now().UTC().Format(time.RFC3339)
	var b strings.Builder
	for i := range 11 {
		fmt.Fprintf(&b, `{"icao":"C%05X","lat":33,"lon":36,"time":%q}`+"\n", i+1, now)
	}
	_, err := post(b.String())
	if truce.ErrorCode(err) != truce.ETOOLARGE || !strings.Contains(err.Error(), "Nothing was taken") {
		t.Fatalf("11 lines with a limit of 10: %v", err)
	}
	if len(used) != 0 {
		t.Fatalf("a batch refused with 413 fed %d positions to the monitor", len(used[0]))
	}
	res, err := post(strings.Join(strings.Split(b.String(), "\n")[:9], "\n") + "\n" + `{"icao":"C00099","lat":1}`)
	if err != nil || len(used) != 1 || len(used[0]) != 9 || res.Accepted != 8 || res.Refused != 1 || res.RefusedBy["too_old"] != 1 ||
		res.Rejected != 1 || fmt.Sprint(res.RejectedLines) != "[10]" {
		t.Fatalf("9 good lines and a bad one: %+v %v", res, err)
	}
}
