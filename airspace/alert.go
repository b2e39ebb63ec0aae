package airspace

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/monitor"
	"github.com/truce-project/truce/zones"
)

// toAlert turns an engine alert into the journalled record: its summary
// in words and its evidence.
func toAlert(al monitor.Alert, zoneName string) *truce.Alert {
	ac := func(x monitor.Aircraft) truce.AlertAircraft {
		out := truce.AlertAircraft{ICAO: feed.FormatICAO(x.ICAO), Callsign: x.Callsign, Party: x.Party}
		if x.HasSquawk {
			out.Squawk = x.Squawk.String()
		}
		return out
	}
	p := al.Aircraft.Position
	t := &truce.Alert{Kind: truce.AlertKind(al.Kind), Time: al.Time, Lon: p.Lon, Lat: p.Lat, Episode: al.Episode,
		ZoneID: zones.ZoneOf(al.ZoneID), ZoneName: zoneName, Aircraft: []truce.AlertAircraft{ac(al.Aircraft)}}
	if !math.IsNaN(p.AltFt) {
		m := p.AltFt * feed.FeetToMetres
		t.AltM = &m
	}
	if al.Other != nil {
		t.Aircraft = append(t.Aircraft, ac(*al.Other))
	}
	// An alert on a relocated (replayed) track says so wherever it goes:
	// the record, the API, the event streams and webhooks, CAP.
	t.Relocated = al.Aircraft.Relocated || (al.Other != nil && al.Other.Relocated)
	name := al.Aircraft.Callsign
	if name == "" {
		name = feed.FormatICAO(al.Aircraft.ICAO)
	}
	alt := ""
	if !math.IsNaN(p.AltFt) {
		alt = fmt.Sprintf(" at %.0f ft", p.AltFt)
	}
	switch al.Kind {
	case monitor.KindZoneEntry:
		t.Summary = fmt.Sprintf("%s entered no-fly zone %s%s", name, zoneName, alt)
	case monitor.KindZoneExit:
		t.Summary = fmt.Sprintf("%s left no-fly zone %s%s (%s)", name, zoneName, alt, strings.ReplaceAll(al.Reason, "_", " "))
	case monitor.KindPredictedEntry:
		t.Summary = fmt.Sprintf("%s predicted to enter no-fly zone %s in %.0f s", name, zoneName, al.PredictedAt.Sub(al.Time).Seconds())
	case monitor.KindProximity:
		other := al.Other.Callsign
		if other == "" {
			other = feed.FormatICAO(al.Other.ICAO)
		}
		t.Summary = fmt.Sprintf("%s and %s within %.1f NM and %.0f ft", name, other, al.HorizontalM/1852, al.VerticalFt)
	case monitor.KindEmergencySquawk:
		t.Summary = fmt.Sprintf("%s squawks %s", name, al.Squawk.String())
	case monitor.KindNonConformance:
		// The operation by its id only: its plan is disclosed to its
		// parties, not to every reader of alerts.
		t.Summary = fmt.Sprintf("%s is outside the volumes of operation %s%s (%s)", name, al.OperationID, alt, strings.ReplaceAll(al.Reason, "_", " "))
	case monitor.KindIntrusion:
		t.Summary = fmt.Sprintf("%s entered a volume of operation %s of another party%s", name, al.OperationID, alt)
	default:
		t.Summary = fmt.Sprintf("%s: %s", name, al.Kind)
	}
	ev := evidenceOf(al)
	if b, err := ev.appendJSON(make([]byte, 0, 256+128*(len(ev.History)+len(ev.Trigger)+len(ev.OtherTrigger)))); err == nil {
		t.Evidence = b
	}
	return t
}

// partiesConcerned are the parties asked to acknowledge alert t: the
// signatories of its zone's agreement (signatories) for a zone alert, the
// parties of its aircraft for the others (proximity between two parties,
// an emergency), in that order and each once.
func partiesConcerned(t *truce.Alert, signatories []string) []string {
	var out []string
	add := func(p string) {
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, p := range signatories {
		add(p)
	}
	if t.ZoneID == "" || len(signatories) == 0 {
		for _, x := range t.Aircraft {
			add(x.Party)
		}
	}
	return out
}

// Evidence is what an engine alert's record carries besides its summary
// (truce.Alert.Evidence): the reports that triggered it and the aircraft's
// recent history, the other aircraft's reports and the distances for a
// proximity, the predicted point for a predicted entry. The web UI draws
// it. Its fields are in the order of their names, as the journalled
// records have always had them.
type Evidence struct {
	History []EvidencePoint `json:"history"`
	// HorizontalM and MinHorizontalM (proximity): the distance between
	// the aircraft and the minimum they were held to.
	HorizontalM    *float64 `json:"horizontal_m,omitempty"`
	MinHorizontalM *float64 `json:"min_horizontal_m,omitempty"`
	// MinVerticalFt and VerticalFt (proximity, when both altitudes are
	// known).
	MinVerticalFt *float64        `json:"min_vertical_ft,omitempty"`
	OtherTrigger  []EvidencePoint `json:"other_trigger,omitzero"`
	// PredictedAt and PredictedPoint (predicted entry): when and where
	// the aircraft is predicted to enter the zone.
	PredictedAt    *time.Time      `json:"predicted_at,omitempty"`
	PredictedPoint *EvidencePoint  `json:"predicted_point,omitempty"`
	Reason         string          `json:"reason"`
	Trigger        []EvidencePoint `json:"trigger"`
	VerticalFt     *float64        `json:"vertical_ft,omitempty"`
}

// EvidencePoint is one position report in Evidence; unknown values are
// left out.
type EvidencePoint struct {
	Time     time.Time `json:"time"`
	Lon      float64   `json:"lon"`
	Lat      float64   `json:"lat"`
	AltFt    *float64  `json:"alt_ft,omitempty"`
	GS       *float64  `json:"gs_kt,omitempty"`
	TrackDeg *float64  `json:"track_deg,omitempty"`
}

func evPoints(ps []monitor.Point) []EvidencePoint {
	out := make([]EvidencePoint, len(ps))
	num := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		return &v
	}
	for i, p := range ps {
		out[i] = EvidencePoint{p.Time, p.Lon, p.Lat, num(p.AltFt), num(p.GroundSpeedKt), num(p.TrackDeg)}
	}
	return out
}

func evidenceOf(al monitor.Alert) Evidence {
	ev := Evidence{Reason: al.Reason, Trigger: evPoints(al.Aircraft.Trigger), History: evPoints(al.Aircraft.History)}
	if al.Other != nil {
		ev.OtherTrigger = evPoints(al.Other.Trigger)
		ev.HorizontalM, ev.MinHorizontalM = &al.HorizontalM, &al.MinHorizontalM
		if !math.IsNaN(al.VerticalFt) {
			ev.VerticalFt, ev.MinVerticalFt = &al.VerticalFt, &al.MinVerticalFt
		}
	}
	if al.Kind == monitor.KindPredictedEntry {
		ev.PredictedAt, ev.PredictedPoint = &al.PredictedAt, &evPoints([]monitor.Point{al.PredictedPoint})[0]
	}
	return ev
}

// appendJSON appends the evidence's JSON, in RFC 8785 canonical form
// (written by hand: it is written for every alert, and reflection cost
// more than the rest of the alert's encoding). TestEvidence_Canonical
// holds it to json.Marshal and truce.AppendCanonical.
func (ev *Evidence) appendJSON(b []byte) ([]byte, error) {
	var err error
	points := func(name string, ps []EvidencePoint) {
		b = append(b, name...)
		if ps == nil {
			b = append(b, "null"...)
			return
		}
		b = append(b, '[')
		for i := range ps {
			if i > 0 {
				b = append(b, ',')
			}
			b, err = ps[i].appendJSON(b, err)
		}
		b = append(b, ']')
	}
	num := func(name string, f *float64) {
		if f != nil && err == nil {
			b = append(b, name...)
			b, err = truce.AppendCanonicalFloat(b, *f)
		}
	}
	points(`{"history":`, ev.History)
	num(`,"horizontal_m":`, ev.HorizontalM)
	num(`,"min_horizontal_m":`, ev.MinHorizontalM)
	num(`,"min_vertical_ft":`, ev.MinVerticalFt)
	if ev.OtherTrigger != nil { // omitzero
		points(`,"other_trigger":`, ev.OtherTrigger)
	}
	if ev.PredictedAt != nil && err == nil {
		b = append(b, `,"predicted_at":`...)
		b, err = truce.AppendCanonicalTime(b, *ev.PredictedAt)
	}
	if ev.PredictedPoint != nil {
		b = append(b, `,"predicted_point":`...)
		b, err = ev.PredictedPoint.appendJSON(b, err)
	}
	b = append(b, `,"reason":`...)
	b = truce.AppendCanonicalString(b, ev.Reason)
	points(`,"trigger":`, ev.Trigger)
	num(`,"vertical_ft":`, ev.VerticalFt)
	return append(b, '}'), err
}

// appendJSON appends the point's JSON in canonical form, unless err is
// already set; it returns the first error.
func (p *EvidencePoint) appendJSON(b []byte, err error) ([]byte, error) {
	if err != nil {
		return b, err
	}
	num := func(name string, f float64) {
		if err == nil {
			b = append(b, name...)
			b, err = truce.AppendCanonicalFloat(b, f)
		}
	}
	b = append(b, '{')
	if p.AltFt != nil {
		num(`"alt_ft":`, *p.AltFt)
		b = append(b, ',')
	}
	if p.GS != nil {
		num(`"gs_kt":`, *p.GS)
		b = append(b, ',')
	}
	num(`"lat":`, p.Lat)
	num(`,"lon":`, p.Lon)
	if err == nil {
		b = append(b, `,"time":`...)
		b, err = truce.AppendCanonicalTime(b, p.Time)
	}
	if p.TrackDeg != nil {
		num(`,"track_deg":`, *p.TrackDeg)
	}
	return append(b, '}'), err
}
