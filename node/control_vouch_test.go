package node

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
)

// TestVouch_ControlEdited: an actor's stored document is edited (its slug
// changed) and a control area's row deleted; the server's self-check,
// which covered no control record before, fails naming both.
func TestVouch_ControlEdited(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		act, err := n.Control.AddActor(admin, control.ActorInput{Slug: "faction", Names: map[string]string{"en": "Faction"}, Type: control.RebelGroup})
		if err != nil {
			t.Fatal(err)
		}
		r, err := n.Control.AddControl(admin, control.ControlInput{Actor: "faction", Name: "village", Geometry: json.RawMessage(boxGeometry), From: time.Now().Add(-time.Hour), Source: "patrol", Confidence: control.ConfidenceLow})
		if err != nil {
			t.Fatal(err)
		}
		n.Close()
		e.edit(t, func(exec func(string, ...any), _ func(string, ...any) *sql.Row) {
			exec(`UPDATE control_actors SET body = REPLACE(body, '"faction"', '"saa"') WHERE id = ?`, act.ID)
			exec(`DELETE FROM control_areas WHERE id = ?`, r.Area.ID)
		})
		n, err = e.open(t, true)
		if err != nil {
			t.Fatal(err)
		}
		problems := waitReadyz(t, n, "self-check failed")
		if !hasProblem(problems, "integrity", act.ID) || !hasProblem(problems, "integrity", r.Area.ID, "deleted") {
			t.Errorf("/readyz: %q; want the edited actor %s and the deleted control area %s named", problems, act.ID, r.Area.ID)
		}
	})
}
