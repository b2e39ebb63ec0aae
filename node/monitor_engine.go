package node

import "github.com/truce-project/truce/monitor"

// Monitor returns the airspace monitor's engine (nil if the node has none),
// so benchmarks and operators' tools can read its counters and tracks.
func (n *Node) Monitor() *monitor.Engine {
	if n.air == nil {
		return nil
	}
	return n.air.engine
}
