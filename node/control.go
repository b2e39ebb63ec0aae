package node

import (
	"context"
	"log/slog"
	"time"

	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/service"
)

// EscalateEvery is how often the node looks for breaches whose response
// is overdue: a minute is well inside any response deadline.
const EscalateEvery = time.Minute

// openControl wires the control capability on the node's journal and
// starts the loop that escalates overdue breaches.
func (n *Node) openControl() {
	n.Control = control.New(n.Store.Control(), n.Journal.Journal, n.Accounts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The map and breach checks hold the areas in memory: read them
		// now, not at the first request.
		if err := n.Control.Load(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("control: loading control areas", slog.Any("err", err))
		}
		t := time.NewTicker(EscalateEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				run, stop := context.WithTimeout(ctx, 30*time.Second)
				if _, err := n.Control.Escalate(run); err != nil && ctx.Err() == nil {
					n.log.Warn("control: escalating overdue breaches", slog.Any("err", err))
				}
				stop()
			}
		}
	}()
	n.stopControl = func() { cancel(); <-done }
}

// OpenControl is OpenService with the control capability on the same
// store and journal, for set-up tools (the demo) that write without a
// running server.
func OpenControl(ctx context.Context, c Config) (*service.Service, *control.Service, error) {
	st, svc, err := openServices(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	return svc, control.New(st.Control(), svc.Journal, svc.Accounts), nil
}
