package node

import (
	"context"
	"log/slog"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
)

// EscalateEvery is how often the node looks for breaches whose response
// is overdue: a minute is well inside any response deadline.
const EscalateEvery = time.Minute

// catchUpEvery is how often the node catches up with the guarantees and
// control areas journalled by other servers whose events it missed
// (control.Service.CatchUp): a change never heard of is in its maps and
// breach checks within this.
var catchUpEvery = EscalateEvery

// openControl wires the control capability on the node's journal;
// startControl then starts the loop that escalates overdue breaches and
// raises the breaches of verified incidents of territory overtaken: when
// this server journals such an incident (followControl), and every
// EscalateEvery for those verified on other servers.
func (n *Node) openControl() {
	n.Control = control.New(n.Store.Control(), n.Journal.Journal, n.Accounts)
	n.Control.Incidents = control.ObservedIncidents(n.Store.Observation(), n.Journal.Journal)
	n.kickControl = make(chan struct{}, 1)
}

// startControl starts the control loop: the load of the areas, the
// breach checks and the escalation. It starts once the log is open, so
// that every entry the loop reads is checked against the log's tree
// (journal.Ledger is set by openLedger: started before it, the loop read
// it while Open wrote it).
func (n *Node) startControl() {
	kick := n.kickControl
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The map and breach checks hold the areas in memory: read them
		// now, not at the first request.
		if err := n.Control.Load(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("control: loading control areas", slog.Any("err", err))
		}
		check := func() {
			run, stop := context.WithTimeout(ctx, 30*time.Second)
			defer stop()
			if _, err := n.Control.CheckIncidents(run); err != nil && ctx.Err() == nil {
				n.log.Warn("control: breaches of verified incidents", slog.Any("err", err))
			}
		}
		check()
		t := time.NewTicker(EscalateEvery)
		defer t.Stop()
		catchUp := time.NewTicker(catchUpEvery)
		defer catchUp.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
				check()
			case <-catchUp.C:
				run, stop := context.WithTimeout(ctx, 30*time.Second)
				if raised, err := n.Control.CatchUp(run); err != nil && ctx.Err() == nil {
					n.log.Warn("control: catching up with the journal", slog.Any("err", err))
				} else if len(raised) > 0 {
					n.log.Warn("control: breaches raised on catching up with changes this server missed", slog.Int("breaches", len(raised)))
				}
				stop()
			case <-t.C:
				run, stop := context.WithTimeout(ctx, 30*time.Second)
				if _, err := n.Control.Escalate(run); err != nil && ctx.Err() == nil {
					n.log.Warn("control: escalating overdue breaches", slog.Any("err", err))
				}
				stop()
				check()
			}
		}
	}()
	n.stopControl = func() { cancel(); <-done }
}

// followControl wakes the control loop when this server journals a
// change control.IncidentWakes says may raise or withdraw breaches. It
// never waits: a wake-up already pending covers this one.
func (n *Node) followControl(e truce.Event) {
	if n.kickControl == nil || !control.IncidentWakes(e) {
		return
	}
	select {
	case n.kickControl <- struct{}{}:
	default:
	}
}

// followControlRemote applies another server's change of a control area
// or guarantee to this server's memory (control.Service.Follow),
// retrying until it succeeds.
func (n *Node) followControlRemote(e truce.Event) {
	if n.Control == nil || (e.Kind != control.KindControlArea && e.Kind != control.KindGuarantee) {
		return
	}
	n.refresh.do(e.Kind+" "+e.Subject, "control: "+e.Kind+" "+e.Subject, nil, func(ctx context.Context) error { return n.Control.Follow(ctx, e) }, nil)
}

// OpenControl is OpenService with the control capability on the same
// store and journal, for set-up tools (the demo) that write without a
// running server.
func OpenControl(ctx context.Context, c Config) (*Base, *control.Service, error) {
	st, svc, err := openServices(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	return svc, control.New(st.Control(), svc.Journal, svc.Accounts), nil
}
