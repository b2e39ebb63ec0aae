package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/truce-project/truce/operations"
)

// TestOperationsAPI walks the operations API over HTTP: a US patrol filed,
// a Russian patrol conflicting with it (both told, neither shown the
// other's plan), an Idempotency-Key retry recording nothing twice, bad
// input refused with problems and nothing journalled, and a joint
// operation filed when both parties have approved.
func TestOperationsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.agreementInForce(t)
	us, ru, viewer := e.tokens["us-op"], e.tokens["ru-op"], e.tokens["ru-viewer"]
	start := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	plan := func(name, kind string, x0, y0 float64, floor, ceil float64, extra string) string {
		return fmt.Sprintf(`{"agreement_id":%q,"name":%q,"kind":%q,"volumes":[{"geometry":{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]},"floor_m":%g,"ceiling_m":%g,"start":%q,"end":%q}]%s}`,
			e.agreement.ID, name, kind, x0, y0, x0+0.1, y0, x0+0.1, y0+0.1, x0, y0+0.1, x0, y0, floor, ceil,
			start.Format(time.RFC3339), start.Add(2*time.Hour).Format(time.RFC3339), extra)
	}
	call := func(method, path, token, body string, want int, hdr ...string) []byte {
		t.Helper()
		code, h, b := e.do(method, path, token, body, hdr...)
		if code != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, code, b, want)
		}
		if want >= 400 && h.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s %s: %s, want a problem", method, path, h.Get("Content-Type"))
		}
		return b
	}
	var usOp operations.Result
	json.Unmarshal(call("POST", "/api/v1/operations", us, plan("US patrol", "air_patrol", 35.0, 32.0, 3000, 6000, ""), http.StatusCreated), &usOp)
	if usOp.Operation == nil || usOp.Operation.Status != operations.Filed || len(usOp.Conflicts) != 0 {
		t.Fatalf("US patrol: %+v", usOp)
	}
	body := plan("RU patrol", "air_patrol", 35.05, 32.05, 5000, 8000, "")
	var ruOp operations.Result
	json.Unmarshal(call("POST", "/api/v1/operations", ru, body, http.StatusCreated, "Idempotency-Key", "ru-1"), &ruOp)
	if len(ruOp.Conflicts) != 1 || ruOp.Conflicts[0].OtherID != usOp.Operation.ID || ruOp.Conflicts[0].Overlap.FloorM != 5000 || ruOp.Conflicts[0].Overlap.CeilingM != 6000 {
		t.Fatalf("RU patrol: %+v", ruOp.Conflicts)
	}
	size := e.journalSize()
	var again operations.Result
	json.Unmarshal(call("POST", "/api/v1/operations", ru, body, http.StatusCreated, "Idempotency-Key", "ru-1"), &again)
	if again.Operation.ID != ruOp.Operation.ID || e.journalSize() != size {
		t.Fatalf("a retried filing recorded again: %s vs %s, journal %d -> %d", again.Operation.ID, ruOp.Operation.ID, size, e.journalSize())
	}
	call("GET", "/api/v1/operations/"+usOp.Operation.ID, ru, "", http.StatusNotFound)
	call("GET", "/api/v1/operations/"+usOp.Operation.ID, viewer, "", http.StatusNotFound)
	for _, tk := range []string{us, ru} {
		var page struct{ Items []*operations.Conflict }
		json.Unmarshal(call("GET", "/api/v1/operation-conflicts", tk, "", http.StatusOK), &page)
		if len(page.Items) != 1 || page.Items[0].ID != ruOp.Conflicts[0].ID {
			t.Fatalf("conflicts seen: %+v", page.Items)
		}
	}
	var check struct{ Items []*operations.Conflict }
	json.Unmarshal(call("POST", "/api/v1/operations/check", us, plan("probe", "ground_patrol", 35.02, 32.02, 0, 10, ""), http.StatusOK), &check)
	if len(check.Items) != 0 || e.journalSize() != size {
		t.Fatalf("check: %+v, journal %d -> %d", check.Items, size, e.journalSize())
	}

	for _, b := range []struct {
		name, token, body string
		want              int
	}{
		{"floor above ceiling", us, plan("x", "air_patrol", 35, 32, 9000, 1000, ""), 400},
		{"unknown field", us, plan("x", "air_patrol", 35, 32, 0, 1000, `,"colour":"red"`), 400},
		{"unknown kind", us, plan("x", "raid", 35, 32, 0, 1000, ""), 400},
		{"self-intersecting", us, fmt.Sprintf(`{"agreement_id":%q,"name":"x","kind":"air_patrol","volumes":[{"geometry":{"type":"Polygon","coordinates":[[[35,32],[35.1,32.1],[35.1,32],[35,32.1],[35,32]]]},"floor_m":0,"ceiling_m":1000,"start":%q,"end":%q}]}`,
			e.agreement.ID, start.Format(time.RFC3339), start.Add(time.Hour).Format(time.RFC3339)), 422},
		{"viewer", viewer, plan("x", "air_patrol", 36, 34, 0, 1000, ""), 403},
		{"strike over a patrol", us, plan("x", "air_strike", 35.05, 32.05, 0, 9000, ""), 422},
	} {
		t.Run(b.name, func(t *testing.T) { call("POST", "/api/v1/operations", b.token, b.body, b.want) })
	}
	if e.journalSize() != size {
		t.Fatal("bad input changed the journal")
	}

	var draft operations.Result
	json.Unmarshal(call("POST", "/api/v1/operations", us, plan("Joint", "demining", 37, 34, 0, 10, `,"participants":["ru"]`), http.StatusCreated), &draft)
	id := draft.Operation.ID
	if draft.Operation.Status != operations.Draft {
		t.Fatalf("joint: %+v", draft.Operation)
	}
	call("POST", "/api/v1/operations/"+id+"/status", us, `{"status":"filed"}`, http.StatusBadRequest)
	call("POST", "/api/v1/operations/"+id+"/approve", viewer, `{"version":1}`, http.StatusForbidden)
	call("POST", "/api/v1/operations/"+id+"/approve", ru, `{"version":2}`, http.StatusPreconditionFailed)
	call("POST", "/api/v1/operations/"+id+"/approve", ru, `{"version":1}`, http.StatusOK)
	var filed operations.Result
	json.Unmarshal(call("POST", "/api/v1/operations/"+id+"/approve", us, `{"version":1}`, http.StatusOK), &filed)
	if filed.Operation.Status != operations.Filed || len(filed.Operation.Approvals) != 2 {
		t.Fatalf("joint after both approvals: %+v", filed.Operation)
	}
	var o operations.Operation
	json.Unmarshal(call("POST", "/api/v1/operations/"+id+"/status", ru, `{"status":"active"}`, http.StatusOK), &o)
	if o.Status != operations.Active {
		t.Fatalf("status: %+v", o)
	}
	var list struct{ Items []*operations.Operation }
	json.Unmarshal(call("GET", "/api/v1/operations?status=active", ru, "", http.StatusOK), &list)
	if len(list.Items) != 1 || list.Items[0].ID != id {
		t.Fatalf("active list: %+v", list.Items)
	}
}

// TestOperationsAPI_SiteNotifiedLater: a site notified inside a filed
// operation, through the API, raises a conflict that the operation's party
// reads, marked later, naming the site.
func TestOperationsAPI_SiteNotifiedLater(t *testing.T) {
	e := newEnv(t)
	e.agreementInForce(t)
	start := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	body := fmt.Sprintf(`{"agreement_id":%q,"name":"US ground patrol","kind":"ground_patrol","volumes":[{"geometry":{"type":"Polygon","coordinates":[[[36.05,32.55],[36.15,32.55],[36.15,32.65],[36.05,32.65],[36.05,32.55]]]},"floor_m":0,"ceiling_m":10,"start":%q,"end":%q}]}`,
		e.agreement.ID, start.Format(time.RFC3339), start.Add(2*time.Hour).Format(time.RFC3339))
	code, _, b := e.do("POST", "/api/v1/operations", e.tokens["us-op"], body)
	var op operations.Result
	if json.Unmarshal(b, &op); code != http.StatusCreated || len(op.Conflicts) != 0 {
		t.Fatalf("filing: %d %s", code, b)
	}
	site, _, _, _ := humanitarianTargets(t, e) // a school notified at 36.1, 32.6
	code, _, b = e.do("GET", "/api/v1/operations/"+op.Operation.ID+"/conflicts", e.tokens["us-op"], "")
	var page struct{ Items []*operations.Conflict }
	if json.Unmarshal(b, &page); code != http.StatusOK || len(page.Items) != 1 {
		t.Fatalf("conflicts: %d %s", code, b)
	}
	if c := page.Items[0]; c.OtherID != site || !c.Later || c.OperationID != op.Operation.ID {
		t.Fatalf("conflict: %+v", c)
	}
}
