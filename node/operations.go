package node

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
)

// openOperations wires joint operations on the node's journal, with the
// humanitarian store's sites and movements and the live zone index, and
// reads the filed operations into memory now rather than at the first
// filing.
func (n *Node) openOperations() {
	n.Operations = operations.New(n.Store.Operations(), n.Journal.Journal, n.Store.Humanitarian(), n.Zones.Index, n.Accounts)
	n.Operations.Aircraft = n.Store.Airspace()
	if err := n.Operations.Load(context.Background()); err != nil {
		n.log.Warn("operations: loading filed operations", slog.Any("err", err))
	}
}

// followIntents hands the monitor the active operations, whose aircraft
// it holds to their volumes (live conformance), read afresh from the
// store; retried until it succeeds.
func (n *Node) followIntents() {
	if n.Operations == nil || n.Airspace == nil {
		return
	}
	n.refresh.do("operations intents", "monitor: active operations", nil, func(ctx context.Context) error {
		in, parties, err := n.Operations.Intents(ctx)
		if err != nil {
			return err
		}
		n.Airspace.SetIntents(in, parties)
		return nil
	}, nil)
}

// followOperationsRemote applies another server's change of an
// operation to this server's index of filed operations
// (operations.Service.Follow), retrying until it succeeds.
func (n *Node) followOperationsRemote(e truce.Event) {
	if n.Operations == nil || !operations.FollowsRemote(e.Kind) {
		return
	}
	n.refresh.do("operation "+e.Subject, "operations: operation "+e.Subject, nil, func(ctx context.Context) error { return n.Operations.Follow(ctx, e.Subject) }, nil)
}

// OpenOperations returns joint operations over the store and journal of a
// service OpenService opened (for set-up work such as the demo); zones in
// force are read from a zone index loaded now.
func OpenOperations(ctx context.Context, svc *Base) (*operations.Service, error) {
	st := svc.Store
	zx := svc.Zones.NewIndex()
	if err := zx.Load(ctx, svc.Now()); err != nil {
		return nil, fmt.Errorf("operations: zone index: %w", err)
	}
	ops := operations.New(st.Operations(), svc.Journal, st.Humanitarian(), zx, svc.Accounts)
	ops.Aircraft = st.Airspace()
	return ops, nil
}

// followOperations re-checks the live operations against a site notified
// or changed (operations.Service.Handle), retried until it succeeds; and
// hands the monitor the active operations again when one changed status.
func (n *Node) followOperations(e truce.Event) {
	if e.Kind == operations.EventChanged {
		n.followIntents()
	}
	if n.Operations == nil || !operations.Follows(e) {
		return
	}
	n.refresh.do("operations "+e.Kind+" "+e.Subject, "operations: conflicts with "+e.Kind+" "+e.Subject, nil,
		func(ctx context.Context) error { return n.Operations.Handle(ctx, e) }, nil)
}
