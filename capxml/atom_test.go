package capxml_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/capxml"
)

func feedInfo() capxml.FeedInfo {
	return capxml.FeedInfo{
		ID:       "https://truce.example/cap/alerts.atom",
		Title:    "Truce alerts",
		Author:   "Truce monitor",
		Self:     "https://truce.example/cap/alerts.atom",
		AlertURL: func(a capxml.Alert) string { return "https://truce.example/cap/" + a.Identifier + ".xml" },
	}
}

// parsedFeed is an independent reading of the feed.
type parsedFeed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	Updated string   `xml:"updated"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Summary string `xml:"summary"`
		Content struct {
			Type  string `xml:"type,attr"`
			Inner []byte `xml:",innerxml"`
		} `xml:"content"`
	} `xml:"entry"`
}

// TestFeed_Valid writes a feed of real-shaped alerts, validates it with the
// Atom RELAX NG grammar, and validates each inline alert with the CAP 1.2
// schema on its own.
func TestFeed_Valid(t *testing.T) {
	second := minimal()
	second.Identifier = "truce-alert-0002"
	second.Sent = sent.Add(time.Minute)
	second.MsgType = capxml.MsgUpdate
	second.References = []capxml.Reference{{Sender: "monitor@truce.example", Identifier: "truce-alert-0001", Sent: sent}}
	second.Info = []capxml.Info{{Categories: []capxml.Category{capxml.CategorySecurity}, Event: "No-fly zone exit",
		Urgency: capxml.UrgencyPast, Severity: capxml.SeverityMinor, Certainty: capxml.CertaintyObserved}}
	alerts := []capxml.Alert{full(t), second}

	var buf bytes.Buffer
	if err := capxml.Feed(&buf, feedInfo(), alerts); err != nil {
		t.Fatal(err)
	}
	if ok, out := validate(t, buf.Bytes(), "--relaxng", atom); !ok {
		t.Fatalf("not valid Atom: %s\n%s", out, buf.String())
	}
	var f parsedFeed
	if err := xml.Unmarshal(buf.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	if f.Updated != "2026-11-30T12:06:09Z" {
		t.Errorf("feed updated %q, want the latest alert's sent", f.Updated)
	}
	if len(f.Entries) != 2 {
		t.Fatalf("%d entries", len(f.Entries))
	}
	wantTitles := []string{"Aircraft 4B1908 entered the UNDOF no-fly zone", "No-fly zone exit"}
	for i, e := range f.Entries {
		if e.ID != "https://truce.example/cap/"+alerts[i].Identifier+".xml" || e.Title != wantTitles[i] || e.Summary == "" {
			t.Errorf("entry %d: id %q title %q summary %q", i, e.ID, e.Title, e.Summary)
		}
		if e.Content.Type != "application/cap+xml" {
			t.Errorf("entry %d content type %q", i, e.Content.Type)
		}
		inner := append([]byte(xml.Header), bytes.TrimSpace(e.Content.Inner)...)
		if ok, out := validate(t, inner, "--schema", cap12); !ok {
			t.Errorf("entry %d inline alert not valid CAP 1.2: %s\n%s", i, out, inner)
		}
		if !strings.Contains(string(e.Content.Inner), "<identifier>"+alerts[i].Identifier+"</identifier>") {
			t.Errorf("entry %d does not carry its alert", i)
		}
	}
}

func TestFeed_Empty(t *testing.T) {
	fi := feedInfo()
	fi.Updated = sent
	var buf bytes.Buffer
	if err := capxml.Feed(&buf, fi, nil); err != nil {
		t.Fatal(err)
	}
	if ok, out := validate(t, buf.Bytes(), "--relaxng", atom); !ok {
		t.Fatalf("empty feed not valid Atom: %s\n%s", out, buf.String())
	}
}

func TestFeed_Invalid(t *testing.T) {
	bad := minimal()
	bad.Sender = "has space"
	tests := []struct {
		name   string
		info   func(*capxml.FeedInfo)
		alerts []capxml.Alert
		want   string
	}{
		{"RelativeID", func(f *capxml.FeedInfo) { f.ID = "alerts" }, []capxml.Alert{minimal()}, "absolute IRI"},
		{"NoTitle", func(f *capxml.FeedInfo) { f.Title = "" }, []capxml.Alert{minimal()}, "title"},
		{"NoAuthor", func(f *capxml.FeedInfo) { f.Author = " " }, []capxml.Alert{minimal()}, "author"},
		{"NoAlertURL", func(f *capxml.FeedInfo) { f.AlertURL = nil }, []capxml.Alert{minimal()}, "AlertURL"},
		{"RelativeAlertURL", func(f *capxml.FeedInfo) { f.AlertURL = func(capxml.Alert) string { return "/cap/1.xml" } }, []capxml.Alert{minimal()}, "absolute"},
		{"BadAlert", func(*capxml.FeedInfo) {}, []capxml.Alert{minimal(), bad}, "alert 1"},
		{"EmptyWithoutUpdated", func(*capxml.FeedInfo) {}, nil, "Updated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fi := feedInfo()
			tt.info(&fi)
			var buf bytes.Buffer
			err := capxml.Feed(&buf, fi, tt.alerts)
			if !errors.Is(err, capxml.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want ErrInvalid mentioning %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes", buf.Len())
			}
		})
	}
}
