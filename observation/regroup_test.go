package observation_test

import (
	"context"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// TestService_Regroup on both stores: two reports of one shelling that
// the automatic grouping kept apart (heard from far apart with wide
// windows) are merged by the centre's operator: one incident holds both,
// corroborated and cross-fixed, the other ends as merged into it, each
// change journalled with its reason; a new report there joins the merged
// incident. A split takes one back out into a new incident. Observers,
// guarantors, unknown or foreign observations and decided incidents are
// refused and change nothing.
func TestService_Regroup(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			w := newWorld(t, st, nil)
			// The second report puts the event 35 km from the first, so it
			// is not grouped with it.
			a := heardFrom(orb.Point{36.10, 32.58}, 0)
			far := a
			far.Location, far.Accuracy, far.Bearing = &observation.Point{Lon: 36.45, Lat: 32.75}, 500, nil
			o1, err := w.svc.AddObservation(as(w.obs1), a)
			if err != nil {
				t.Fatal(err)
			}
			o2, err := w.svc.AddObservation(as(w.obs2), far)
			if err != nil {
				t.Fatal(err)
			}
			if o1.IncidentID == o2.IncidentID {
				t.Fatal("the test's reports were grouped automatically")
			}
			size0, _ := st.JournalSize(ctx)
			for name, c := range map[string]struct {
				who  *truce.Caller
				from []string
				code string
			}{
				"an observer":       {w.obs1, []string{o2.IncidentID}, truce.EFORBIDDEN},
				"a guarantor":       {w.gop, []string{o2.IncidentID}, truce.EFORBIDDEN},
				"into itself":       {w.op, []string{o1.IncidentID}, truce.EINVALID},
				"named twice":       {w.op, []string{o2.IncidentID, o2.IncidentID}, truce.EINVALID},
				"an unknown one":    {w.op, []string{"no-such-incident"}, truce.ENOTFOUND},
				"with no incidents": {w.op, nil, truce.EINVALID},
			} {
				if _, err := w.svc.MergeIncidents(as(c.who), o1.IncidentID, observation.MergeInput{From: c.from, Reason: "same shelling"}); truce.ErrorCode(err) != c.code {
					t.Errorf("merging %s: %v, want %s", name, err, c.code)
				}
			}
			if size, _ := st.JournalSize(ctx); size != size0 {
				t.Fatalf("refused merges journalled %d entries", size-size0)
			}

			m, err := w.svc.MergeIncidents(as(w.op), o1.IncidentID, observation.MergeInput{From: []string{o2.IncidentID}, Reason: "One impact: the craters match."})
			if err != nil {
				t.Fatal(err)
			}
			if m.Observations != 2 || m.Observers != 2 || m.Status != observation.StatusCorroborated || len(m.Regroupings) != 1 || m.Regroupings[0].Reason != "One impact: the craters match." {
				t.Fatalf("merged incident %+v", m)
			}
			gone, err := w.svc.FindIncident(as(w.gop), o2.IncidentID)
			if err != nil || gone.Status != observation.StatusMerged || gone.MergedInto != m.ID {
				t.Fatalf("the incident merged from: %+v, %v", gone, err)
			}
			moved, err := w.svc.FindObservation(as(w.op), o2.ID)
			if err != nil || moved.IncidentID != m.ID || moved.Version != 2 {
				t.Fatalf("the moved observation: %+v, %v", moved, err)
			}
			if size, _ := st.JournalSize(ctx); size != size0+3 {
				t.Errorf("the merge journalled %d entries, want 3 (two incidents, one observation)", size-size0)
			}
			// A new report at the second place joins the merged incident.
			o3, err := w.svc.AddObservation(as(w.obs2), far)
			if err != nil || o3.IncidentID != m.ID {
				t.Fatalf("a new report where the merged one was: incident %q, %v; want %s", o3.IncidentID, err, m.ID)
			}

			if _, err := w.svc.SplitIncident(as(w.op), m.ID, observation.SplitInput{Observations: []string{o1.ID, o2.ID, o3.ID}, Reason: "all"}); truce.ErrorCode(err) != truce.EINVALID {
				t.Errorf("splitting every observation out: %v, want invalid", err)
			}
			s, err := w.svc.SplitIncident(as(w.op), m.ID, observation.SplitInput{Observations: []string{o2.ID, o3.ID}, Reason: "Two events after all."})
			if err != nil {
				t.Fatal(err)
			}
			if s.ID == m.ID || s.Observations != 2 || s.Version != 1 || !slices.Contains(s.Regroupings[0].Observations, o3.ID) {
				t.Fatalf("the new incident %+v", s)
			}
			left, _ := w.svc.FindIncident(as(w.op), m.ID)
			if left.Observations != 1 || left.Status != observation.StatusReported {
				t.Errorf("what stays: %d observations, %s; want 1, reported", left.Observations, left.Status)
			}

			if _, err := w.svc.DecideIncident(as(w.op), s.ID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "seen"}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.MergeIncidents(as(w.op), m.ID, observation.MergeInput{From: []string{s.ID}, Reason: "again"}); truce.ErrorCode(err) != truce.ECONFLICT {
				t.Errorf("merging a verified incident: %v, want conflict", err)
			}
		})
	}
}

// TestService_Move on both stores: of three reports kept in two incidents
// (one near Dar'a, two 35 km away), the centre's operator moves one of the
// far ones into the first incident, which then holds both observers and is
// corroborated; the incident left keeps its other report. Moving that one
// too leaves the incident empty: it ends as merged into the first. Wrong
// callers, unknown incidents or observations, an observation named twice
// or already there, one of another category and a verified incident are
// refused and journal nothing.
func TestService_Move(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			w := newWorld(t, st, nil)
			a := heardFrom(orb.Point{36.10, 32.58}, 0)
			far := a
			far.Location, far.Accuracy, far.Bearing = &observation.Point{Lon: 36.45, Lat: 32.75}, 500, nil
			other := far
			other.Category, other.SubCategory, other.Location = observation.CatFlare, "", &observation.Point{Lon: 35.9, Lat: 32.3}
			o1, err := w.svc.AddObservation(as(w.obs1), a)
			if err != nil {
				t.Fatal(err)
			}
			o2, err := w.svc.AddObservation(as(w.obs2), far)
			if err != nil {
				t.Fatal(err)
			}
			o3, err := w.svc.AddObservation(as(w.obs2), far)
			if err != nil {
				t.Fatal(err)
			}
			flare, err := w.svc.AddObservation(as(w.obs1), other)
			if err != nil {
				t.Fatal(err)
			}
			if o1.IncidentID == o2.IncidentID || o2.IncidentID != o3.IncidentID {
				t.Fatalf("the test's reports were grouped %s, %s, %s; want the last two together", o1.IncidentID, o2.IncidentID, o3.IncidentID)
			}
			size0, _ := st.JournalSize(ctx)
			for name, c := range map[string]struct {
				who  *truce.Caller
				into string
				obs  []string
				code string
			}{
				"by an observer":          {w.obs1, o1.IncidentID, []string{o2.ID}, truce.EFORBIDDEN},
				"by a guarantor":          {w.gop, o1.IncidentID, []string{o2.ID}, truce.EFORBIDDEN},
				"into an unknown one":     {w.op, "no-such-incident", []string{o2.ID}, truce.ENOTFOUND},
				"an unknown observation":  {w.op, o1.IncidentID, []string{"no-such-observation"}, truce.ENOTFOUND},
				"one already there":       {w.op, o1.IncidentID, []string{o1.ID}, truce.EINVALID},
				"one named twice":         {w.op, o1.IncidentID, []string{o2.ID, o2.ID}, truce.EINVALID},
				"one of another category": {w.op, o1.IncidentID, []string{flare.ID}, truce.EINVALID},
				"no observation":          {w.op, o1.IncidentID, nil, truce.EINVALID},
			} {
				if _, err := w.svc.MoveObservations(as(c.who), c.into, observation.MoveInput{Observations: c.obs, Reason: "same shelling"}); truce.ErrorCode(err) != c.code {
					t.Errorf("moving %s: %v, want %s", name, err, c.code)
				}
			}
			if _, err := w.svc.MoveObservations(as(w.op), o1.IncidentID, observation.MoveInput{Observations: []string{o2.ID}, Reason: " "}); truce.ErrorCode(err) != truce.EINVALID {
				t.Errorf("moving with no reason: %v, want invalid", err)
			}
			if size, _ := st.JournalSize(ctx); size != size0 {
				t.Fatalf("refused moves journalled %d entries", size-size0)
			}

			m, err := w.svc.MoveObservations(as(w.op), o1.IncidentID, observation.MoveInput{Observations: []string{o2.ID}, Reason: "The second team misjudged the distance."})
			if err != nil {
				t.Fatal(err)
			}
			if m.ID != o1.IncidentID || m.Observations != 2 || m.Observers != 2 || m.Status != observation.StatusCorroborated {
				t.Fatalf("the incident moved into: %+v", m)
			}
			if rg := m.Regroupings; len(rg) != 1 || rg[0].Action != "move" || rg[0].To != m.ID || !slices.Equal(rg[0].From, []string{o2.IncidentID}) || !slices.Equal(rg[0].Observations, []string{o2.ID}) {
				t.Fatalf("its regroupings %+v", m.Regroupings)
			}
			left, err := w.svc.FindIncident(as(w.op), o2.IncidentID)
			if err != nil || left.Observations != 1 || left.Status != observation.StatusReported {
				t.Fatalf("the incident left: %+v, %v; want one observation, reported", left, err)
			}
			moved, err := w.svc.FindObservation(as(w.op), o2.ID)
			if err != nil || moved.IncidentID != m.ID || moved.Version != 2 {
				t.Fatalf("the moved observation: %+v, %v", moved, err)
			}
			if size, _ := st.JournalSize(ctx); size != size0+3 {
				t.Errorf("the move journalled %d entries, want 3 (two incidents, one observation)", size-size0)
			}

			m, err = w.svc.MoveObservations(as(w.op), o1.IncidentID, observation.MoveInput{Observations: []string{o3.ID}, Reason: "Same event."})
			if err != nil || m.Observations != 3 {
				t.Fatalf("moving the last report: %+v, %v", m, err)
			}
			if gone, err := w.svc.FindIncident(as(w.op), o2.IncidentID); err != nil || gone.Status != observation.StatusMerged || gone.MergedInto != m.ID {
				t.Fatalf("the emptied incident: %+v, %v; want merged into %s", gone, err, m.ID)
			}

			// A report moved out by a split can be moved back; not once the
			// incident is verified.
			s, err := w.svc.SplitIncident(as(w.op), m.ID, observation.SplitInput{Observations: []string{o3.ID}, Reason: "Later shelling."})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.DecideIncident(as(w.op), m.ID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "seen"}); err != nil {
				t.Fatal(err)
			}
			size1, _ := st.JournalSize(ctx)
			if _, err := w.svc.MoveObservations(as(w.op), m.ID, observation.MoveInput{Observations: []string{o3.ID}, Reason: "back"}); truce.ErrorCode(err) != truce.ECONFLICT {
				t.Errorf("moving into a verified incident: %v, want conflict", err)
			}
			if _, err := w.svc.MoveObservations(as(w.op), s.ID, observation.MoveInput{Observations: []string{o2.ID}, Reason: "out"}); truce.ErrorCode(err) != truce.ECONFLICT {
				t.Errorf("moving out of a verified incident: %v, want conflict", err)
			}
			if size, _ := st.JournalSize(ctx); size != size1 {
				t.Errorf("refused moves journalled %d entries", size-size1)
			}
		})
	}
}
