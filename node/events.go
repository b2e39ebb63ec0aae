package node

import (
	"fmt"

	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/events"
)

// openEvents starts live delivery: the event bus over the store's event
// log, the webhook dispatcher, and their routes.
func (n *Node) openEvents() error {
	es, ok := n.Store.(events.Store)
	if !ok {
		return fmt.Errorf("the %T store keeps no event log", n.Store)
	}
	n.dispatcher = &events.Dispatcher{Store: es, Logger: n.log}
	n.Events = events.NewBus(es, events.Options{Logger: n.log, OnDeliveries: n.dispatcher.Notify})
	hooks := &events.Hooks{Store: es, Parties: n.Store}
	api.RegisterEvents(n.API, api.EventRoutes{Bus: n.Events, Hooks: hooks, Heartbeat: n.Config.EventHeartbeat})
	n.dispatcher.Start()
	return nil
}

// closeEvents stops the dispatcher and the bus (before the store closes).
func (n *Node) closeEvents() {
	if n.dispatcher != nil {
		n.dispatcher.Stop()
	}
	if n.Events != nil {
		n.Events.Close()
	}
}
