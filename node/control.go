package node

import (
	"context"
	"log/slog"
	"time"

	"github.com/truce-project/truce/control"
)

// EscalateEvery is how often the node looks for breaches whose response
// is overdue: a minute is well inside any response deadline.
const EscalateEvery = time.Minute

// openControl wires the control capability on the node's journal and
// starts the loop that escalates overdue breaches.
func (n *Node) openControl() {
	n.Control = control.New(n.Store.Control(), n.Service.Journal, n.Accounts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
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
