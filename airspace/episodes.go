package airspace

import (
	"context"
	"encoding/json"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/monitor"
)

// An alert episode is one alert record from its start to its end: an
// entry is closed by its exit (the record keeps the entry's and the exit's
// times and the track between), a predicted entry by the entry or by its
// expiry, a proximity by the separation, each with its reason. The engine
// reports an end as an alert of its own (zone_exit, predicted_entry_end,
// proximity_end); here it ends the record that opened the episode instead
// of raising another, so that a duty officer's list of open episodes
// (AlertFilter.Ongoing) holds only what is still happening.

// item is one thing the journal writer records: an alert to raise, or
// the end of an episode.
type item struct {
	raise *truce.Alert
	end   *episodeEnd
}

// episodeEnd is the end of an episode as the engine reported it.
type episodeEnd struct {
	Episode string
	Time    time.Time
	Reason  string
	// By is the episode that ended this one (the entry that fulfilled a
	// prediction); the record's EndedBy names its alert.
	By string
	// Evidence is the end's evidence (an exit's track), kept as the
	// opener's EndEvidence.
	Evidence json.RawMessage
	// Orphan is the record raised when the episode's opening alert is not
	// found (an exit whose entry was recorded by no server): the end is
	// not lost, it stands as an alert of its own, ended.
	Orphan *truce.Alert
}

// isEnd reports whether the engine's alert ends an episode.
func isEnd(k monitor.Kind) bool {
	return k == monitor.KindZoneExit || k == monitor.KindPredictionEnded || k == monitor.KindProximityEnded || k == monitor.KindNonConformanceEnded || k == monitor.KindIntrusionEnded
}

// openers are the kinds of alert that open an episode that ends.
var openers = map[truce.AlertKind]bool{truce.AlertZoneEntry: true, truce.AlertPredictedEntry: true, truce.AlertProximity: true, truce.AlertNonConformance: true, truce.AlertIntrusion: true}

// record journals items in one write, as RaiseAlerts does alerts: the
// raised alerts are inserted, and each end ends its episode's opening
// record, the one raised in the same write (before it is inserted) or the
// stored one (a new version, journalled in the same transaction). It is
// all or none.
func (s *Service) record(ctx context.Context, items []item) error {
	raised := map[string]*truce.Alert{}  // opener by episode, in this write
	entries := map[string]*truce.Alert{} // any raised alert by episode, for By
	for _, it := range items {
		if a := it.raise; a != nil {
			if a.Kind == "" || a.Summary == "" {
				return truce.Errorf(truce.EINVALID, "An alert needs a kind and a summary.")
			}
			s.newAlert(a)
			if a.Episode != "" {
				entries[a.Episode] = a
				if openers[a.Kind] {
					raised[a.Episode] = a
				}
			}
		}
	}
	// Ends of stored episodes, found before the write; the writer is the
	// only one to record the engine's alerts, so they cannot move meanwhile.
	stored := map[string]string{}  // episode -> stored opener id
	endedBy := map[string]string{} // episode -> the alert that ended it
	var orphans []*truce.Alert
	for _, it := range items {
		e := it.end
		if e == nil {
			continue
		}
		by := ""
		if e.By != "" {
			if a := entries[e.By]; a != nil {
				by = a.ID
			} else if a, err := s.episodeAlert(ctx, e.By, false); err != nil {
				return err
			} else if a != nil {
				by = a.ID
			}
		}
		if a := raised[e.Episode]; a != nil {
			a.End(e.Time.UTC(), e.Reason, by)
			a.EndEvidence = e.Evidence
			continue
		}
		a, err := s.episodeAlert(ctx, e.Episode, true)
		if err != nil {
			return err
		}
		switch {
		case a != nil && a.EndedAt == nil:
			stored[e.Episode], endedBy[e.Episode] = a.ID, by
		case a != nil: // ended already (an end written twice after a retry)
		case e.Orphan != nil:
			o := e.Orphan
			s.newAlert(o)
			o.End(e.Time.UTC(), e.Reason, by)
			orphans = append(orphans, o)
		}
	}
	if len(stored) == 0 && len(orphans) == 0 && !raisesAny(items) {
		return nil // only ends of episodes no record opened
	}
	_, err := journal.Write(ctx, s.Journal, s.Store, truce.CallerFrom(ctx), func(tx Tx, w *journal.Writer) (struct{}, error) {
		for _, it := range items {
			if it.raise != nil {
				if err := raiseAlert(ctx, tx, w, it.raise); err != nil {
					return struct{}{}, err
				}
				continue
			}
			e := it.end
			id, ok := stored[e.Episode]
			if !ok {
				continue
			}
			a, err := tx.Alert(ctx, id)
			if err != nil {
				return struct{}{}, err
			}
			if !a.End(e.Time.UTC(), e.Reason, endedBy[e.Episode]) {
				continue
			}
			a.EndEvidence = e.Evidence
			a.Version++
			a.JournalIndex = w.Journal(alertChange(a))
			if err := tx.PutAlert(ctx, a); err != nil {
				return struct{}{}, err
			}
		}
		for _, o := range orphans {
			if err := raiseAlert(ctx, tx, w, o); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	return err
}

// episodeAlert returns the stored alert of an episode: its opening alert
// when opener, else its first; nil when there is none.
func (s *Service) episodeAlert(ctx context.Context, episode string, opener bool) (*truce.Alert, error) {
	as, err := s.Store.Alerts(ctx, truce.AlertFilter{Episode: episode, Limit: 16})
	if err != nil {
		return nil, err
	}
	var found *truce.Alert
	for _, a := range as { // newest first: the last seen is the first raised
		if !opener || openers[a.Kind] {
			found = a
		}
	}
	return found, nil
}

// toItem turns an engine alert into what the writer records.
func (a *Host) toItem(al monitor.Alert) item {
	if !isEnd(al.Kind) {
		return item{raise: a.toRecord(al)}
	}
	e := &episodeEnd{Episode: al.Episode, Time: al.Time, Reason: al.Reason, By: al.EndedBy}
	if e.Reason == "" {
		e.Reason = string(al.Kind)
	}
	if al.Kind == monitor.KindZoneExit {
		r := a.toRecord(al)
		e.Evidence, e.Orphan = r.Evidence, r
	}
	return item{end: e}
}

func raisesAny(items []item) bool {
	for _, it := range items {
		if it.raise != nil {
			return true
		}
	}
	return false
}
