package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

// bodyTypes are the request bodies the handlers decode, each with a seed
// as a client sends it. FuzzDecode picks one by the first byte of its input.
var bodyTypes = []struct {
	name string
	new  func() any
	seed string
}{
	{"PartyCreate", func() any { return new(truce.PartyCreate) }, `{"slug":"jo","name":"Jordan","kind":"guarantor","public_key":"monitor+8dc1ef6b+AXy/FVk2LUAqe6vOiGhmVNyzXYKxKCLPftfrlESTCM5H"}`},
	{"UserCreate", func() any { return new(truce.UserCreate) }, `{"party":"jo","username":"jo-duty","name":"Duty officer","roles":["operator","analyst"],"password":"correct horse battery"}`},
	{"TokenCreate", func() any { return new(truce.TokenCreate) }, `{"user":"jo-duty","name":"laptop","expires_at":"2027-01-01T00:00:00Z"}`},
	{"AgreementCreate", func() any { return new(truce.AgreementCreate) }, `{"title":"Memorandum","signatories":["us","ru","jo"],"effective_from":"2017-07-09T09:00:00Z","rules":{}}`},
	{"AgreementUpdate", func() any { return new(truce.AgreementUpdate) }, `{"title":"Memorandum (amended)","effective_to":"2018-07-09T09:00:00+03:00"}`},
	{"AgreementMotion", func() any { return new(truce.AgreementMotion) }, `{"action":"amend","text":{"title":"Memorandum (amended)","rules":{"notice_period":"2160h"}},"note":"agreed in Amman"}`},
	{"NoticeCreate", func() any { return new(truce.NoticeCreate) }, `{"reason":"talks failed"}`},
	{"ZoneProposal", func() any { return new(truce.ZoneProposal) }, ""}, // a real polygon, below
	{"ZoneImport", func() any { return new(truce.ZoneImport) }, ""},     // a real feature, below
	{"ZoneDecision", func() any { return new(truce.ZoneDecision) }, `{"approve":true,"reason":"agreed in Amman"}`},
	{"EndZone", func() any { return new(EndZone) }, `{"note":"withdrawn","effective_from":"2017-08-01T00:00:00Z"}`},
	{"AircraftRegistration", func() any { return new(AircraftRegistration) }, `{"icao":"4CA2D1","note":"tanker"}`},
	{"FeedConfig", func() any { return new(FeedConfig) }, `{"kind":"sbs","addr":"receiver.example:30003","name":"north"}`},
	{"AlertNote", func() any { return new(AlertNote) }, `{"note":"seen on radar"}`},
	{"WebhookCreate", func() any { return new(events.WebhookCreate) }, `{"url":"https://ops.example/hook","kinds":["alert"],"bbox":[35.7,32.3,36.9,33.5]}`},
}

// FuzzDecode drives the API's strict body decoder with every request type:
// a refused body gets an invalid (400) or too_large (413) error with a
// message, never a panic or another code; an accepted body is one JSON
// value, and the value decoded from it survives being encoded and decoded
// again unchanged.
func FuzzDecode(f *testing.F) {
	// A real governorate (Natural Earth, public domain; see
	// geo/testdata/README.md) as the zone bodies' geometry.
	raw, err := os.ReadFile("../geo/testdata/syria-admin1-naturalearth.geojson")
	if err != nil {
		f.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry   json.RawMessage `json:"geometry"`
			Properties map[string]any  `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		f.Fatal(err)
	}
	var geom json.RawMessage
	for _, ft := range fc.Features {
		if ft.Properties["region_code"] == "SY-DI" {
			geom = ft.Geometry
		}
	}
	if geom == nil {
		f.Fatal("no SY-DI in the governorates")
	}
	for i, bt := range bodyTypes {
		seed := bt.seed
		switch bt.name {
		case "ZoneProposal":
			seed = `{"agreement":"0190b7c4-0000-7000-8000-000000000000","name":"Damascus","kind":"no_fly","geometry":` + string(geom) + `,"floor":"SFC","ceiling":"FL200","windows":[{"start":"2017-07-09T09:00:00Z"}]}`
		case "ZoneImport":
			seed = `{"agreement":"0190b7c4-0000-7000-8000-000000000000","features":{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Damascus"},"geometry":` + string(geom) + `}]},"defaults":{"kind":"no_fly"}}`
		}
		if err := decodeBody(bt.new(), []byte(seed), "application/json"); err != nil {
			f.Fatalf("%s: the seed was refused: %v", bt.name, err)
		}
		f.Add(byte(i), []byte(seed), "application/json")
	}
	f.Add(byte(0), []byte(`{"slug":"jo","slug":"jo"}`), "application/json; charset=utf-8")
	f.Add(byte(1), []byte(`{"username":"a"} {}`), "")
	f.Add(byte(2), []byte(`{"nope":1}`), "text/plain")
	f.Fuzz(func(t *testing.T, which byte, body []byte, contentType string) {
		bt := bodyTypes[int(which)%len(bodyTypes)]
		v := bt.new()
		err := decodeBody(v, body, contentType)
		if err != nil {
			switch truce.ErrorCode(err) {
			case truce.EINVALID, truce.ETOOLARGE:
			default:
				t.Fatalf("%s: %q: error code %q (%v)", bt.name, body, truce.ErrorCode(err), err)
			}
			if truce.ErrorMessage(err) == "" {
				t.Fatalf("%s: %q: error without a message", bt.name, body)
			}
			return
		}
		if !json.Valid(bytes.TrimSpace(body)) {
			t.Fatalf("%s: accepted %q, which is not one JSON value", bt.name, body)
		}
		once, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", bt.name, err)
		}
		w := bt.new()
		if err := decodeBody(w, once, "application/json"); err != nil {
			t.Fatalf("%s: accepted %q but refused its own encoding %s: %v", bt.name, body, once, err)
		}
		twice, err := json.Marshal(w)
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("%s: round trip\n got %s\nwant %s", bt.name, twice, once)
		}
	})
}

// decodeBody runs decode on a request as a handler receives it, with the
// server's default body limit.
func decodeBody(v any, body []byte, contentType string) error {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/x", bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1<<20)
	return decode(r, v)
}
