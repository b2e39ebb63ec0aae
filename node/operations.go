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
	if err := n.Operations.Load(context.Background()); err != nil {
		n.log.Warn("operations: loading filed operations", slog.Any("err", err))
	}
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
	return operations.New(st.Operations(), svc.Journal, st.Humanitarian(), zx, svc.Accounts), nil
}

// followOperations re-checks the live operations against a site notified
// or changed (operations.Service.Handle), retried until it succeeds.
func (n *Node) followOperations(e truce.Event) {
	if n.Operations == nil || !operations.Follows(e) {
		return
	}
	n.refresh.do("operations "+e.Kind+" "+e.Subject, "operations: conflicts with "+e.Kind+" "+e.Subject, nil,
		func(ctx context.Context) error { return n.Operations.Handle(ctx, e) }, nil)
}
