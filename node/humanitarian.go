package node

import (
	"fmt"

	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/service"
	"github.com/truce-project/truce/ui"
)

// openHumanitarian wires humanitarian notification over the node's store
// and journal.
func (n *Node) openHumanitarian() error {
	h, err := newHumanitarian(n.Store, n.Journal.Journal, n.Accounts)
	n.Humanitarian = h
	return err
}

// newHumanitarian is humanitarian notification over st, writing through
// j, with the P-codes of the base map's OCHA districts.
func newHumanitarian(st Store, j *journal.Journal, acc *accounts.Service) (*humanitarian.Service, error) {
	b, err := ui.BaseMapData("syria-districts.geojson")
	if err != nil {
		return nil, fmt.Errorf("humanitarian: %w", err)
	}
	areas, err := humanitarian.LoadAdminAreas(b)
	if err != nil {
		return nil, fmt.Errorf("humanitarian: %w", err)
	}
	return humanitarian.New(st.Humanitarian(), j, acc, areas), nil
}

// OpenHumanitarian returns humanitarian notification over the store and
// journal of a service OpenService opened (for set-up work such as the
// demo).
func OpenHumanitarian(svc *service.Service) (*humanitarian.Service, error) {
	st, ok := svc.Store.(Store)
	if !ok {
		return nil, fmt.Errorf("humanitarian: the service's store has no humanitarian view")
	}
	return newHumanitarian(st, svc.Journal, svc.Accounts)
}
