package ui_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/humanitarian"
)

// testMovementPages checks, after us acknowledged movement mv: its page
// with the board in English and Arabic, the map's movements layer with
// the route coloured by acknowledgement state, and the proof download
// that `truce log verify-proof` checks (every version, every
// transmission).
func testMovementPages(t *testing.T, s *server, c *http.Client, mv *humanitarian.Movement) {
	t.Helper()
	_, page := get(t, c, s.url+"/movements/"+mv.ID)
	for _, want := range []string{`class="board-acknowledged" data-party="us"`, "Convoy Ramtha-Dar&#39;a", "4 × <span dir=\"auto\">truck</span>",
		`href="/movements/` + mv.ID + `/proof"`, "receipt, not permission", `id="movement-status">Version 1 · notified`} {
		if !strings.Contains(page, want) {
			t.Errorf("movement page lacks %q:\n%s", want, page)
		}
	}
	get(t, c, s.url+"/lang/ar")
	if _, page = get(t, c, s.url+"/movements/"+mv.ID); !strings.Contains(page, "مُخطَر به") || !strings.Contains(page, "أقرّ بالاستلام") {
		t.Errorf("Arabic movement page:\n%s", page)
	}
	_, body := get(t, c, s.url+"/movements.geojson")
	get(t, c, s.url+"/lang/en")
	var fc struct {
		Features []struct {
			ID         string `json:"id"`
			Geometry   struct{ Type string }
			Properties map[string]any
		}
	}
	if err := json.Unmarshal([]byte(body), &fc); err != nil || len(fc.Features) != 1 {
		t.Fatalf("movements layer: %v %s", err, body)
	}
	f := fc.Features[0]
	if f.ID != mv.ID || f.Geometry.Type != "LineString" || f.Properties["state"] != "acknowledged" || f.Properties["state_label"] != "أقرّ باستلامه كل الأطراف" {
		t.Errorf("movement feature: %+v", f)
	}
	if _, page = get(t, c, s.url+"/map"); !strings.Contains(page, "humanitarian") {
		t.Errorf("the map page does not load the movements layer's script")
	}

	// The proof needs the last write in a signed checkpoint: wait for it.
	var p humanitarian.Proof
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := get(t, c, s.url+"/movements/"+mv.ID+"/proof")
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("proof is not a download: %v", resp.Header)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proof: %d %s", resp.StatusCode, body)
		}
		<-time.After(100 * time.Millisecond)
	}
	if kind, id := p.Kind(); kind != humanitarian.KindMovement || id != mv.ID || len(p.Records) != 2 ||
		p.Records[0].Kind != "movement" || p.Records[1].Kind != "transmission" || len(p.Records[1].Proofs) != 2 {
		t.Errorf("movement proof: format %s, %d records", p.Format, len(p.Records))
	}
}
