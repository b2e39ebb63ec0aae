package events_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

func TestParseFilter(t *testing.T) {
	cases := []struct {
		name, kinds, bbox string
		wantKinds         int
		wantErr           bool
	}{
		{"Empty", "", "", 0, false},
		{"Kinds", "alert, zone,,", "", 2, false},
		{"BBox", "", "35,32,37,34", 0, false},
		{"Antimeridian", "", "179,-18,-179,-16", 0, false},
		{"ErrThree", "", "35,32,37", 0, true},
		{"ErrNaN", "", "35,NaN,37,34", 0, true},
		{"ErrWord", "", "35,x,37,34", 0, true},
		{"ErrLon", "", "35,32,190,34", 0, true},
		{"ErrLat", "", "35,32,37,95", 0, true},
		{"ErrLatOrder", "", "35,34,37,32", 0, true},
		{"ErrInf", "", "35,32,+Inf,34", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := events.ParseFilter(c.kinds, c.bbox)
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v, want error %v", err, c.wantErr)
			}
			if err != nil {
				if truce.ErrorCode(err) != truce.EINVALID {
					t.Fatalf("code %s", truce.ErrorCode(err))
				}
				return
			}
			if len(f.Kinds) != c.wantKinds || (c.bbox != "") != (f.BBox != nil) {
				t.Fatalf("filter %+v", f)
			}
		})
	}
}

func TestFilter_Match(t *testing.T) {
	syria := &events.BBox{35, 32, 37, 34}
	pt := func(lon, lat float64) *[2]float64 { return &[2]float64{lon, lat} }
	cases := []struct {
		name string
		f    events.Filter
		e    truce.Event
		want bool
	}{
		{"ZeroFilter", events.Filter{}, truce.Event{Kind: "x"}, true},
		{"KindIn", events.Filter{Kinds: []string{"a", "b"}}, truce.Event{Kind: "b"}, true},
		{"KindOut", events.Filter{Kinds: []string{"a"}}, truce.Event{Kind: "b"}, false},
		{"PointIn", events.Filter{BBox: syria}, truce.Event{Point: pt(36, 33)}, true},
		{"PointOnEdge", events.Filter{BBox: syria}, truce.Event{Point: pt(37, 34)}, true},
		{"PointOut", events.Filter{BBox: syria}, truce.Event{Point: pt(37.01, 33)}, false},
		{"NoPlace", events.Filter{BBox: syria}, truce.Event{}, false},
		{"BoxOverlaps", events.Filter{BBox: syria}, truce.Event{BBox: &truce.BBox{36.9, 33.9, 40, 40}}, true},
		{"BoxApart", events.Filter{BBox: syria}, truce.Event{BBox: &truce.BBox{38, 33, 40, 34}}, false},
		{"BoxContains", events.Filter{BBox: syria}, truce.Event{BBox: &truce.BBox{0, 0, 50, 50}}, true},
		{"AntimeridianEast", events.Filter{BBox: &events.BBox{170, -20, -170, 0}}, truce.Event{Point: pt(175, -10)}, true},
		{"AntimeridianWest", events.Filter{BBox: &events.BBox{170, -20, -170, 0}}, truce.Event{Point: pt(-175, -10)}, true},
		{"AntimeridianOut", events.Filter{BBox: &events.BBox{170, -20, -170, 0}}, truce.Event{Point: pt(0, -10)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.f.Match(&c.e); got != c.want {
				t.Fatalf("Match = %v, want %v", got, c.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1499601600, 0)
	body := []byte(`{"id":1,"kind":"alert"}`)
	ts := "1499601600"
	sig := events.Sign("whsec_k", ts, body)
	cases := []struct {
		name, secret, ts, sig string
		body                  []byte
		ok                    bool
	}{
		{"Good", "whsec_k", ts, sig, body, true},
		{"WithinTolerance", "whsec_k", "1499601400", events.Sign("whsec_k", "1499601400", body), body, true},
		{"TamperedBody", "whsec_k", ts, sig, []byte(`{"id":2,"kind":"alert"}`), false},
		{"WrongSecret", "whsec_x", ts, sig, body, false},
		{"TimestampChanged", "whsec_k", "1499601601", sig, body, false},
		{"TooOld", "whsec_k", "1499600000", events.Sign("whsec_k", "1499600000", body), body, false},
		{"NoPrefix", "whsec_k", ts, sig[len("sha256="):], body, false},
		{"BadTimestamp", "whsec_k", "yesterday", sig, body, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := events.Verify(c.secret, c.ts, c.sig, c.body, now, 5*time.Minute)
			if (err == nil) != c.ok {
				t.Fatalf("Verify: %v, want ok %v", err, c.ok)
			}
		})
	}
}

// ExampleSign computes what a receiver compares with X-Truce-Signature;
// the output is what `printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256
// -hmac "$SECRET" -hex` prints for the same input.
func ExampleSign() {
	body := []byte(`{"id":42,"kind":"alert"}`)
	fmt.Println(events.Sign("whsec_secret", "1499601600", body))
	// Output: sha256=61b9c002e2a9d209050ce9f3b485d28c40425c958c699a2ae3c3d490bdabf97b
}
