package node

import (
	"context"
	"slices"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/events"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/operations"
)

// openEvents starts live delivery: the event bus over the store's event
// log, the webhook dispatcher, and their routes.
func (n *Node) openEvents() error {
	es := n.Store
	n.dispatcher = &events.Dispatcher{Store: es, Logger: n.log}
	n.Events = events.NewBus(es, events.Options{Logger: n.log, Buffer: n.Config.EventBuffer, OnDeliveries: n.dispatcher.Notify})
	hooks := &events.Hooks{Store: es, Parties: n.Store.Accounts()}
	api.RegisterEvents(n.API, api.EventRoutes{Bus: n.Events, Hooks: hooks, Heartbeat: n.Config.EventHeartbeat})
	n.dispatcher.Start()
	return nil
}

// followRemote hands the changes other servers sharing the database commit
// to this server's engines (the zone index, the monitor), as follow does
// for its own: their events arrive on the bus from the log, marked Remote.
func (n *Node) followRemote(ctx context.Context) error {
	_, last, err := n.Store.EventBounds(ctx)
	if err != nil {
		return err
	}
	system := &truce.Caller{User: &truce.User{ID: "system", Roles: []truce.Role{truce.RoleAdmin}}, Party: &truce.Party{ID: "system"}}
	c, err := n.Events.Follow(ctx, system, events.Filter{Kinds: []string{"zone", "agreement", "aircraft", "feed", "alert", control.KindControlArea, control.KindGuarantee,
		// Sites and movements: conflicts with the operations this server
		// holds, raised later (operations.Service.Handle).
		"site", humanitarian.KindMovement,
		// An operation's status: the active operations the monitor holds
		// aircraft to.
		operations.EventChanged, operations.EventFiled, operations.EventProposed,
		// Tokens, users and parties: the callers this server vouched
		// for and cached (accounts.CallerCache).
		"token", "user", "party"}}, last, true)
	if err != nil {
		return err
	}
	n.remoteDone = make(chan struct{})
	go func() {
		defer close(n.remoteDone)
		defer c.Close()
		for {
			r, err := c.Next(ctx, 0)
			if err != nil {
				return // the node is closing
			}
			if r.Remote {
				n.follow(r.Event)
				n.followControlRemote(r.Event)
				n.followOperationsRemote(r.Event)
				n.followAccountsRemote(r.Event)
			}
		}
	}()
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

// followAccountsRemote drops the callers this server cached when another
// server changes a token, a user or a party (accounts.CallerCache).
func (n *Node) followAccountsRemote(e truce.Event) {
	if n.Accounts != nil && slices.Contains(accounts.ChangeKinds, e.Kind) {
		n.Accounts.Forget()
	}
}
