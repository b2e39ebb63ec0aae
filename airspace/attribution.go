package airspace

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/truce-project/truce"
)

// Attribution resolves an aircraft to the party that registered it: by
// ICAO address first, then by the longest matching callsign prefix. It is
// reloaded on every registry change and safe for concurrent use.
type Attribution struct {
	// Vouch, when set, gives the entries read as the journal vouches for
	// them (Service.JournalledAircraft).
	Vouch func(ctx context.Context, as []*truce.Aircraft) ([]*truce.Aircraft, error)

	mu       sync.RWMutex
	icao     map[string]string
	prefixes []prefixParty
}

type prefixParty struct{ prefix, party string }

// Load replaces the attribution with the registry's entries.
func (at *Attribution) Load(ctx context.Context, st interface {
	AircraftList(ctx context.Context, partyID string) ([]*truce.Aircraft, error)
}) error {
	all, err := st.AircraftList(ctx, "")
	if err != nil {
		return err
	}
	if at.Vouch != nil {
		if all, err = at.Vouch(ctx, all); err != nil {
			return err
		}
	}
	icao := map[string]string{}
	var ps []prefixParty
	for _, a := range all {
		if a.ICAO != "" {
			icao[a.ICAO] = a.PartyID
		} else {
			ps = append(ps, prefixParty{a.CallsignPrefix, a.PartyID})
		}
	}
	at.mu.Lock()
	at.icao, at.prefixes = icao, ps
	at.mu.Unlock()
	return nil
}

// Party returns the party of an aircraft, or "".
func (at *Attribution) Party(icao uint32, callsign string) string {
	at.mu.RLock()
	defer at.mu.RUnlock()
	if p, ok := at.icao[fmt.Sprintf("%06X", icao)]; ok {
		return p
	}
	best, party := 0, ""
	cs := strings.ToUpper(strings.TrimSpace(callsign))
	for _, x := range at.prefixes {
		if len(x.prefix) > best && strings.HasPrefix(cs, x.prefix) {
			best, party = len(x.prefix), x.party
		}
	}
	return party
}
