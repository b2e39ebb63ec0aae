package demo

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/partykey"
	"golang.org/x/mod/sumdb/note"
)

//go:embed data/humanitarian-sites-*.csv
var siteFiles embed.FS

// notifySites has SARC and ICRC notify their (illustrative) sites by
// importing their spreadsheets, as an organisation would, and has the
// guarantors answer: the United States acknowledges every notification,
// the Russian Federation raises a concern over the Nawa distribution
// point and acknowledges the rest, and Jordan stays silent; SARC notifies
// a convoy, which the United States acknowledges, and replays an
// emergency convoy, which the United States acknowledges, Russia raises a
// concern over, and Jordan acknowledges after its deadline. The sites
// open in three days, except SARC's Dar'a field hospital, notified as it
// opens: shorter notice than the agreement's lead time, so it is flagged
// late.
func notifySites(ctx context.Context, svc *node.Base, agreementID string, actors map[string]context.Context, keys map[string]*partykey.Key) error {
	h, err := node.OpenHumanitarian(svc)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	for _, org := range []string{"sarc", "icrc"} {
		b, err := siteFiles.ReadFile("data/humanitarian-sites-" + org + ".csv")
		if err != nil {
			return err
		}
		if _, err := h.Import(actors[org], agreementID, humanitarian.FormatCSV, withValidFrom(string(b), now, org == "sarc")); err != nil {
			return fmt.Errorf("demo sites of %s: %w", org, err)
		}
	}
	// A convoy along the corridor the demo proposes, from the Nasib
	// crossing to Dar'a, notified three days ahead (illustrative).
	dep := now.Add(72 * time.Hour)
	if _, err := h.CreateMovement(actors["sarc"], humanitarian.MovementCreate{AgreementID: agreementID, Notify: true, MovementFields: humanitarian.MovementFields{
		Name: "Convoy Nasib crossing – Dar'a (illustrative)", Organisation: "Syrian Arab Red Crescent",
		Route:     json.RawMessage(`{"type":"LineString","coordinates":[[36.289,32.553],[36.2,32.585],[36.106,32.625]]}`),
		CorridorM: 750, Crossings: []string{"Nasib"},
		Departure: humanitarian.Window{From: dep, To: dep.Add(2 * time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(time.Hour), To: dep.Add(5 * time.Hour)},
		Vehicles:  []humanitarian.Vehicle{{Count: 12, Type: "truck", Markings: "SARC emblem"}, {Count: 2, Type: "ambulance"}},
		Personnel: 30, Cargo: "Food parcels and medical supplies", Contacts: "SARC Dar'a branch"}}); err != nil {
		return fmt.Errorf("demo convoy: %w", err)
	}
	// The emergency convoy asks for answers within a few seconds (a
	// demo's deadline, so that one answer can come after it).
	hq, err := node.OpenHumanitarian(svc)
	if err != nil {
		return err
	}
	hq.AckWindow = emergencyAckWindow
	answer := func(p string, t *humanitarian.Transmission, in humanitarian.AnswerInput) error {
		if k := keys[p]; k != nil {
			// A party holding its own key signs its answer here, as
			// `truce ack --key` would: the server never sees the key.
			statement, err := h.AnswerStatement(actors[p], t.ID, in)
			if err != nil {
				return err
			}
			msg, err := note.Sign(&note.Note{Text: statement}, k.Signer)
			if err != nil {
				return err
			}
			in.Signature = string(msg)
		}
		if _, err := h.Answer(actors[p], t.ID, in); err != nil {
			return fmt.Errorf("demo answer of %s: %w", p, err)
		}
		return nil
	}
	// The United States acknowledges the emergency convoy and Russia
	// raises a concern over its first hour on the road (receipt, with a
	// warning; the convoy is not stopped by it), both as soon as it is
	// notified, within its deadline.
	answerEmergency := func(m *humanitarian.Movement) error {
		for _, p := range []string{"us", "ru"} {
			ts, _, err := h.Inbox(actors[p], "", "", 100)
			if err != nil {
				return err
			}
			for _, t := range ts {
				if t.RecordID != m.ID {
					continue
				}
				in := humanitarian.AnswerInput{}
				if p == "ru" {
					from, to := m.Departure.From, m.Departure.From.Add(time.Hour)
					in = humanitarian.AnswerInput{Concern: true, Text: "Armed clashes reported near the Ramtha crossing this morning; the convoy's first kilometres are at risk.", WindowFrom: &from, WindowTo: &to}
				}
				if err := answer(p, t, in); err != nil {
					return err
				}
			}
		}
		return nil
	}
	emergency, err := replayConvoy(hq, agreementID, actors["sarc"], now, answerEmergency)
	if err != nil {
		return fmt.Errorf("demo convoy replay: %w", err)
	}
	for _, p := range []string{"us", "ru"} {
		ts, _, err := h.Inbox(actors[p], "", "", 100)
		if err != nil {
			return err
		}
		for _, t := range ts {
			in := humanitarian.AnswerInput{}
			if t.RecordID == emergency.ID {
				continue // answered as soon as it was notified
			}
			if p == "ru" && t.Kind == humanitarian.KindMovement {
				continue // Russia has not answered the Nasib convoy's notification
			}
			if p == "ru" && t.Kind == humanitarian.KindSite {
				s, err := h.FindSite(actors[p], t.RecordID)
				if err != nil {
					return err
				}
				if strings.HasPrefix(s.Name, "Nawa") {
					from, to := now.Add(72*time.Hour), now.Add(96*time.Hour)
					in = humanitarian.AnswerInput{Concern: true, Text: "Active operations reported on the Nawa–Jasim road; movements near the site are at risk.", WindowFrom: &from, WindowTo: &to}
				}
			}
			if err := answer(p, t, in); err != nil {
				return err
			}
		}
	}
	// Jordan, silent on everything else, acknowledges the emergency
	// convoy after its deadline: recorded, and shown overdue.
	ts, _, err := h.Inbox(actors["jo"], "", "", 100)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.RecordID != emergency.ID {
			continue
		}
		if wait := time.Until(t.Deadline); wait > 0 {
			time.Sleep(wait + 10*time.Millisecond)
		}
		if err := answer("jo", t, humanitarian.AnswerInput{}); err != nil {
			return err
		}
	}
	return nil
}

// emergencyAckWindow is the demo emergency convoy's acknowledgement
// deadline: short, so that Jordan's answer comes after it (illustrative;
// an agreement sets days or hours).
const emergencyAckWindow = 2 * time.Second

// withValidFrom adds the "valid from" column to a site spreadsheet: every
// site opens in three days, but the first opens now when short is set.
func withValidFrom(csv string, now time.Time, short bool) []byte {
	lines := strings.Split(strings.TrimRight(csv, "\n"), "\n")
	for i := range lines {
		switch i {
		case 0:
			lines[i] += ",Valid from"
		case 1:
			lines[i] += ",#date+start"
		case 2:
			if short {
				lines[i] += "," + now.Format(time.RFC3339)
				break
			}
			fallthrough
		default:
			lines[i] += "," + now.Add(72*time.Hour).Format(time.RFC3339)
		}
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// replayRoute is the road from the Ramtha/Dar'a border crossing to Dar'a
// city (as drawn for the demo: illustrative).
var replayRoute = [][2]float64{{36.0076, 32.5560}, {36.0500, 32.5900}, {36.1020, 32.6189}}

// replayConvoy has SARC notify an emergency convoy from the Ramtha/Dar'a
// crossing to Dar'a city as it sets out (late: less notice than the
// agreement asks, accepted and flagged), and replays its GPS unit's last
// half hour: a position a minute along the road, but for five minutes
// about 1.5 km south of it (a detour), which raises one convoy_deviation
// alert. The positions are illustrative, generated along the road, and
// marked replayed, so the alert is marked relocated (CAP status Exercise).
//
// notified is called as soon as the convoy is notified, before the replay:
// the answers due within the demo's short deadline are given then, so the
// replay's time (long on a loaded machine) does not make them late.
func replayConvoy(h *humanitarian.Service, agreementID string, sarc context.Context, now time.Time, notified func(*humanitarian.Movement) error) (*humanitarian.Movement, error) {
	route, err := json.Marshal(map[string]any{"type": "LineString", "coordinates": replayRoute})
	if err != nil {
		return nil, err
	}
	start := now.Add(-31 * time.Minute)
	m, err := h.CreateMovement(sarc, humanitarian.MovementCreate{AgreementID: agreementID, Notify: true, MovementFields: humanitarian.MovementFields{
		Name: "Emergency convoy Ramtha – Dar'a (illustrative, replayed)", Organisation: "Syrian Arab Red Crescent", Emergency: true,
		Route: route, CorridorM: 500, Crossings: []string{"Ramtha/Dar'a"},
		Departure: humanitarian.Window{From: start, To: now.Add(time.Hour)}, Arrival: humanitarian.Window{From: now, To: now.Add(3 * time.Hour)},
		Vehicles: []humanitarian.Vehicle{{Count: 4, Type: "truck", Markings: "SARC emblem"}}, Personnel: 9, Cargo: "Surgical supplies"}})
	if err != nil {
		return nil, err
	}
	if err := notified(m); err != nil {
		return nil, err
	}
	if _, err := h.MoveMovement(sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}); err != nil {
		return nil, err
	}
	const n = 30
	for i := 0; i <= n; i++ {
		p := along(replayRoute, float64(i)/n)
		if i >= 12 && i <= 16 {
			p[1] -= 0.0135 // about 1.5 km south of the road
		}
		if _, err := h.ReportPosition(sarc, m.ID, humanitarian.ConvoyPosition{Lon: p[0], Lat: p[1], Time: start.Add(time.Duration(i) * time.Minute), Replayed: true}); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// along is the point a fraction f of the way along a route, by its
// vertices' plane lengths (enough for an illustration).
func along(route [][2]float64, f float64) [2]float64 {
	total := 0.0
	for i := 1; i < len(route); i++ {
		total += math.Hypot(route[i][0]-route[i-1][0], route[i][1]-route[i-1][1])
	}
	d := f * total
	for i := 1; i < len(route); i++ {
		l := math.Hypot(route[i][0]-route[i-1][0], route[i][1]-route[i-1][1])
		if d <= l {
			t := d / l
			return [2]float64{route[i-1][0] + t*(route[i][0]-route[i-1][0]), route[i-1][1] + t*(route[i][1]-route[i-1][1])}
		}
		d -= l
	}
	return route[len(route)-1]
}
