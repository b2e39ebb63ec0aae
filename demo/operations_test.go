package demo_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truce-project/truce/demo"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/operations"
)

// TestSetup_Operations checks the demo's planned operations: the US
// patrol filed clean; the Russian ground patrol warned of the Dar'a field
// hospital; the strike package refused while it overlapped the US patrol,
// then filed after it with the override of the de-escalation zone's rule;
// the joint strike filed once both approved, Russia's approval signed with
// the key it holds; and a restarted server loading them.
func TestSetup_Operations(t *testing.T) {
	if testing.Short() {
		t.Skip("sets up the whole demo")
	}
	ctx := context.Background()
	cfg := node.Config{DataDir: filepath.Join(t.TempDir(), "data"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sc, err := demo.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := sc.Operations
	if o.USPatrol.Operation.Status != operations.Filed || len(o.USPatrol.Conflicts) != 0 {
		t.Fatalf("US patrol: %+v", o.USPatrol.Conflicts)
	}
	if len(o.RUPatrol.Conflicts) != 1 || o.RUPatrol.Conflicts[0].Against != operations.AgainstSite || o.RUPatrol.Conflicts[0].Blocking ||
		!strings.HasPrefix(o.RUPatrol.Conflicts[0].OtherName, "Dar'a field hospital") || o.RUPatrol.Conflicts[0].OtherKind != "hospital" {
		t.Fatalf("RU patrol's conflicts: %+v", o.RUPatrol.Conflicts)
	}
	if !strings.Contains(o.Refused, "another party") {
		t.Fatalf("strike refused for %q, want the US patrol", o.Refused)
	}
	for _, c := range o.RUStrike.Conflicts {
		if c.Against == operations.AgainstOperation || !c.Overridden || c.Against != operations.AgainstZone {
			t.Fatalf("RU strike's conflict: %+v", c)
		}
	}
	if len(o.RUStrike.Conflicts) == 0 {
		t.Fatal("the strike in the de-escalation zone raised no conflict with its rule")
	}
	j := o.Joint.Operation
	if j.Status != operations.Filed || len(j.Approvals) != 2 || len(j.Participants) != 2 {
		t.Fatalf("joint operation: %+v", j)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ru, err := n.Accounts.Party(ctx, "ru")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range j.Approvals {
		if a.PartyID == ru.ID && ru.Custodial {
			t.Fatal("Russia's key is held by the server")
		}
	}
}
