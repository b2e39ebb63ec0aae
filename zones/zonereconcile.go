package zones

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/truce-project/truce"
)

// fingerprints returns, for each zone with versions in vs, a hash of
// those versions as read and of the row version of each one's agreement:
// two readings of a zone that would index the same way have the same
// fingerprint, and an agreement change (its status or period moves its
// zones) changes its zones' fingerprints.
func fingerprints(vs []*truce.ZoneVersion, ags map[string]*truce.Agreement) map[string]string {
	byZone := map[string][]*truce.ZoneVersion{}
	for _, v := range vs {
		byZone[v.ZoneID] = append(byZone[v.ZoneID], v)
	}
	out := make(map[string]string, len(byZone))
	for id, zvs := range byZone {
		slices.SortFunc(zvs, func(a, b *truce.ZoneVersion) int { return cmp.Compare(a.Version, b.Version) })
		h := sha256.New()
		for _, v := range zvs {
			doc, _ := json.Marshal(v)
			h.Write(doc)
			if ag := ags[v.AgreementID]; ag != nil {
				h.Write([]byte("\x00" + ag.ID + "\x00" + strconv.FormatInt(ag.Version, 10) + "\x00"))
			}
		}
		out[id] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// Reconcile compares the index with the database and brings back in step
// every zone whose entries differ from what the database holds now (a
// refresh after a commit that failed, a change made while this server
// could not follow). It returns the zones it changed. A reconciliation
// reads what Load reads, but rebuilds only the zones that differ.
func (x *Index) Reconcile(ctx context.Context) ([]string, error) {
	x.updating.Lock()
	defer x.updating.Unlock()
	vs, err := x.store.ZoneVersionsInForceAfter(ctx, x.From())
	if err != nil {
		return nil, err
	}
	// Only the zones whose fingerprint differs from the index's are
	// decoded: the others are dropped unread once compared.
	b, err := x.build(ctx, vs, x.From(), func(id, print string) bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.prints[id] != print
	})
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	var changed []string
	for id, p := range b.prints {
		if x.prints[id] != p {
			changed = append(changed, id)
		}
	}
	for id := range x.prints {
		if _, ok := b.prints[id]; !ok {
			changed = append(changed, id)
		}
	}
	for id := range x.byZone {
		if _, ok := b.prints[id]; !ok && !slices.Contains(changed, id) {
			changed = append(changed, id)
		}
	}
	slices.Sort(changed)
	if len(changed) > 0 {
		err = x.replaceLocked(changed, b)
	}
	f := x.OnChange
	x.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if len(changed) > 0 && f != nil {
		f(changed)
	}
	return changed, nil
}
