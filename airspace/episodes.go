package airspace

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
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
//
// A stored opener is found without a query when this service raised it
// (Service.episodes): the writer is the only one to record the engine's
// alerts, so what it raised cannot move meanwhile but by a person's
// acknowledgement or closing, which the read inside the transaction sees.
// The stored openers are read before anything is written, and their new
// versions are written without writing the new alerts first (sqlstore),
// so the write's inserts stay one statement per table and each new
// alert's document is stored once, in its entry.
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
	// Ends of stored episodes, found before the write.
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
			} else if id, _, err := s.openerID(ctx, e.By, false); err != nil {
				return err
			} else {
				by = id
			}
		}
		if a := raised[e.Episode]; a != nil {
			a.End(e.Time.UTC(), e.Reason, by)
			a.EndEvidence = e.Evidence
			continue
		}
		if _, ok := stored[e.Episode]; ok {
			continue // an end written twice in one write
		}
		id, ended, err := s.openerID(ctx, e.Episode, true)
		if err != nil {
			return err
		}
		switch {
		case ended: // ended already (an end written twice after a retry)
		case id != "":
			stored[e.Episode], endedBy[e.Episode] = id, by
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
		wrote := false
		ids := make([]string, 0, len(stored))
		for _, id := range stored {
			ids = append(ids, id)
		}
		byID, err := tx.AlertsByID(ctx, ids)
		if err != nil {
			return struct{}{}, err
		}
		openersRead := make(map[string]*truce.Alert, len(stored))
		for ep, id := range stored {
			openersRead[ep] = byID[id]
		}
		for _, it := range items {
			if it.raise != nil {
				if err := raiseAlert(ctx, tx, w, it.raise); err != nil {
					return struct{}{}, err
				}
				wrote = true
				continue
			}
			e := it.end
			a, ok := openersRead[e.Episode]
			if !ok {
				continue
			}
			if !a.End(e.Time.UTC(), e.Reason, endedBy[e.Episode]) {
				continue // ended already (an end written twice after a retry)
			}
			wrote = true
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
			wrote = true
		}
		if !wrote {
			// Every stored opener had ended meanwhile (another server
			// ended it while it held the monitor): nothing to record.
			return struct{}{}, errNothingToRecord
		}
		return struct{}{}, nil
	})
	if err != nil && !errors.Is(err, errNothingToRecord) {
		return err
	}
	for ep, a := range raised {
		if a.EndedAt == nil {
			s.episodes.add(ep, a.ID)
		}
	}
	for ep := range stored {
		s.episodes.remove(ep)
	}
	return nil
}

// errNothingToRecord ends a write that found nothing to record (a
// truce.Error, which the stores return as it is).
var errNothingToRecord = truce.Errorf(truce.ECONFLICT, "Every episode to end had ended already.")

// openerID returns the id of the stored alert of an episode: its opening
// alert when opener, else its first; "" when there is none; and whether
// it is known to have ended. An episode this service opened is found in
// memory; another is looked for in the store, under its id and then under
// the id an earlier release gave it.
func (s *Service) openerID(ctx context.Context, episode string, opener bool) (string, bool, error) {
	if id, ok := s.episodes.get(episode); ok {
		return id, false, nil
	}
	a, err := s.episodeAlert(ctx, truce.AlertFilter{Episode: episode, Limit: 16}, opener)
	if a == nil && err == nil {
		if p, ok := legacyEpisodePrefix(episode); ok {
			a, err = s.episodeAlert(ctx, truce.AlertFilter{EpisodePrefix: p, Limit: 16}, opener)
		}
	}
	if a == nil || err != nil {
		return "", false, err
	}
	return a.ID, a.EndedAt != nil, nil
}

// episodeAlert returns the stored alert of an episode that f selects: its
// opening alert when opener, else its first; nil when there is none.
func (s *Service) episodeAlert(ctx context.Context, f truce.AlertFilter, opener bool) (*truce.Alert, error) {
	as, err := s.Store.Alerts(ctx, f)
	if err != nil {
		return nil, err
	}
	var found *truce.Alert
	for _, a := range as { // newest first: the last seen is the first raised
		if f.EpisodePrefix != "" && !strings.HasPrefix(a.Episode, f.EpisodePrefix) {
			continue
		}
		if !opener || openers[a.Kind] {
			found = a
		}
	}
	return found, nil
}

// legacyEpisodePrefix returns what an episode's id began with under the
// releases before episode ids began with their start (monitor's
// episodeID): those were the hash's first 16 bytes in hexadecimal, of
// which today's id keeps the first 10 after the start's 6. During a
// rolling upgrade an episode opened by a server of an earlier release and
// ended by one of this release is so found, and ended, instead of its end
// being recorded as an orphan. The other way round, an earlier release
// cannot find an episode this one opened: its end is recorded as an alert
// of its own, ended (an orphan), and the opening alert stays ongoing
// until closed by hand.
func legacyEpisodePrefix(episode string) (string, bool) {
	if len(episode) != 32 {
		return "", false
	}
	if _, err := hex.DecodeString(episode); err != nil {
		return "", false
	}
	return episode[12:], true
}

// openEpisodes holds the id of the opening alert of each episode this
// service opened that has not ended yet, up to maxOpenEpisodes (past that
// it forgets one at random: its end then looks in the store).
type openEpisodes struct {
	mu  sync.Mutex
	ids map[string]string
}

const maxOpenEpisodes = 1 << 17

func (o *openEpisodes) get(ep string) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	id, ok := o.ids[ep]
	return id, ok
}

func (o *openEpisodes) add(ep, id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ids == nil {
		o.ids = map[string]string{}
	}
	if len(o.ids) >= maxOpenEpisodes {
		for k := range o.ids {
			delete(o.ids, k)
			break
		}
	}
	o.ids[ep] = id
}

func (o *openEpisodes) remove(ep string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.ids, ep)
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
