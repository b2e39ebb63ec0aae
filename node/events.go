package node

import (
	"context"
	"fmt"

	"github.com/truce-project/truce"
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

// publishEvent logs an event for streams and webhooks. A change's event
// takes the visibility of its journal entry, so a stream shows a reader
// only the changes the journal would.
func (n *Node) publishEvent(e truce.Event) {
	ctx := context.Background()
	if e.Visibility.Scope == "" && e.Index >= 0 {
		rs, err := n.Store.Journal(ctx, e.Index, e.Index+1)
		if err != nil || len(rs) != 1 {
			n.log.Error("event visibility", "kind", e.Kind, "subject", e.Subject, "index", e.Index, "err", err)
		} else {
			e.Visibility = rs[0].Visibility
		}
	}
	if _, err := n.Events.Publish(ctx, e); err != nil {
		n.log.Error("event not logged", "kind", e.Kind, "subject", e.Subject, "err", err)
	}
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
