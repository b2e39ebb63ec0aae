package operations

import (
	"context"
	"sync"

	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/spatial"
)

// notifiedIndex holds the volumes of the notified sites (active) and
// movements (notified or under way), prepared once, so that a filing is
// checked against them without reading or drawing them (a movement's
// corridor is the dearest shape to draw). It is read from the store at
// the first use, every record vouched for by the journal, and then kept
// by Handle with each site's or movement's change this server follows,
// as the index of operations is kept with the operations.
type notifiedIndex struct {
	mu     sync.RWMutex
	loaded bool
	x      *spatial.VolumeIndex
	refs   map[string]notifiedRef // by volume id
	vols   map[string][]string    // volume ids, by site or movement id
}

// notifiedRef is what a conflict names of a site or a movement.
type notifiedRef struct {
	against         Against
	id, party, kind string
	name            string
	// class is what the agreement's rules on conflicts name it by: a
	// site's category, a movement's kind.
	class string
}

// put replaces the volumes of the site or movement o names (o.id), or
// removes them when vs is empty; callers hold n.mu.
func (n *notifiedIndex) put(id string, r notifiedRef, vs []spatial.Volume) {
	for _, v := range n.vols[id] {
		n.x.Remove(v)
		delete(n.refs, v)
	}
	delete(n.vols, id)
	for _, v := range vs {
		if n.x.Insert(v) == nil {
			n.refs[v.ID] = r
			n.vols[id] = append(n.vols[id], v.ID)
		}
	}
}

// ensureNotified loads s.notified if it is not yet: every site and
// movement, read in one snapshot with their journal entries, those that
// do not match their entries left out (and reported, as every vouched
// read reports them).
func (s *Service) ensureNotified(ctx context.Context) error {
	n := &s.notified
	n.mu.RLock()
	loaded := n.loaded
	n.mu.RUnlock()
	if loaded {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.loaded {
		return nil
	}
	var sites []*humanitarian.Site
	var moves []*humanitarian.Movement
	err := s.Journal.Snapshot(ctx, func(ctx context.Context) error {
		var err error
		sites, err = journal.VouchPages(ctx, s.Journal, "site", 1000, func(ctx context.Context, cursor string) ([]*humanitarian.Site, error) {
			return s.Notified.Sites(ctx, humanitarian.SiteFilter{Cursor: cursor, Limit: 1000})
		}, func(x *humanitarian.Site) string { return x.ID })
		if err != nil {
			return err
		}
		moves, err = journal.VouchPages(ctx, s.Journal, humanitarian.KindMovement, 1000, func(ctx context.Context, cursor string) ([]*humanitarian.Movement, error) {
			return s.Notified.Movements(ctx, humanitarian.MovementFilter{Cursor: cursor, Limit: 1000})
		}, func(x *humanitarian.Movement) string { return x.ID })
		return err
	})
	if err != nil {
		return err
	}
	n.x, n.refs, n.vols = spatial.NewVolumeIndex(), map[string]notifiedRef{}, map[string][]string{}
	for _, st := range sites {
		if st.Status != humanitarian.SiteActive {
			continue
		}
		if vs, err := siteVolumes(st); err == nil {
			n.put(st.ID, notifiedRef{AgainstSite, st.ID, st.PartyID, string(st.Category), st.Name, string(st.Category)}, vs)
		}
	}
	for _, m := range moves {
		if v, ok := movementVolume(m); ok {
			n.put(m.ID, notifiedRef{AgainstMovement, m.ID, m.PartyID, "movement", m.Name, string(m.Kind.Or())}, []spatial.Volume{v})
		}
	}
	n.loaded = true
	return nil
}

// followNotified keeps s.notified with a site's or movement's change: o
// as read and vouched for now, or nil when it is no longer notified.
func (s *Service) followNotified(id string, o *other) {
	n := &s.notified
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.loaded {
		return // the load, when it comes, reads it
	}
	if o == nil {
		n.put(id, notifiedRef{}, nil)
		return
	}
	n.put(id, notifiedRef{o.against, o.id, o.party, o.kind, o.name, o.class}, o.volumes)
}
