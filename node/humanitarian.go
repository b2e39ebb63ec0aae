package node

import (
	"fmt"

	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/ui"
)

// openHumanitarian wires humanitarian notification over the node's store
// and journal, with the P-codes of the base map's OCHA districts.
func (n *Node) openHumanitarian() error {
	b, err := ui.BaseMapData("syria-districts.geojson")
	if err != nil {
		return fmt.Errorf("humanitarian: %w", err)
	}
	areas, err := humanitarian.LoadAdminAreas(b)
	if err != nil {
		return fmt.Errorf("humanitarian: %w", err)
	}
	n.Humanitarian = humanitarian.New(n.Store.Humanitarian(), n.Service.Journal, n.Accounts, areas)
	return nil
}
