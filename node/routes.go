package node

import (
	"github.com/truce-project/truce/api"
)

// registerRoutes mounts the capabilities' API routes beside the core's.
func (n *Node) registerRoutes() {
	api.RegisterZones(n.API, n.Service, n.Service)
	n.openControl()
	api.RegisterControl(n.API, n.Control)
}
