package node

import (
	"context"
	"fmt"
	"time"

	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/service"
	"github.com/truce-project/truce/ui"
)

// openHumanitarian wires humanitarian notification over the node's store
// and journal.
func (n *Node) openHumanitarian() error {
	h, err := newHumanitarian(n.Store, n.Service.Journal, n.Accounts)
	n.Humanitarian = h
	if err == nil {
		n.startSweeps()
	}
	return err
}

// SweepEvery is how often the node sends the reminders and raises the
// "acknowledgement overdue" alerts that have fallen due: a minute is well
// inside any acknowledgement window.
const SweepEvery = time.Minute

// startSweeps starts the loop of humanitarian.Service.Sweep; every server
// of a deployment may run it, since each notice is recorded once.
func (n *Node) startSweeps() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Humanitarian.RunSweeps(ctx, SweepEvery)
	}()
	n.stopSweeps = func() { cancel(); <-done }
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
