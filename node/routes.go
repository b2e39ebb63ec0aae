package node

import (
	"github.com/truce-project/truce/api"
)

// registerRoutes mounts the capabilities' API routes beside the core's.
func (n *Node) registerRoutes() {
	api.RegisterZones(n.API, n.Zones, n.Zones)
	api.RegisterSites(n.API, n.Humanitarian)
	n.openControl()
	api.RegisterControl(n.API, n.Control)
	n.openOperations()
	api.RegisterOperations(n.API, n.Operations)
}
