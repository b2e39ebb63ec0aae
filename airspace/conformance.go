package airspace

import "github.com/truce-project/truce/monitor"

// intents are the active operations the engine holds their aircraft to,
// with each operation's parties.
type intents struct {
	monitor *monitor.Intents
	parties map[string][]string
}

// SetIntents hands the engine the active operations it holds their
// aircraft to (operations.Service.Intents) and the parties of each, whom
// a non-conformance alert concerns; the tracks' last positions are checked
// against them at once.
func (a *Host) SetIntents(in *monitor.Intents, parties map[string][]string) {
	a.intents.Store(&intents{monitor: in, parties: parties})
	a.engine.IntentsChanged()
}

func (a *Host) engineIntents() *monitor.Intents {
	if in := a.intents.Load(); in != nil {
		return in.monitor
	}
	return nil
}

// operationParties are the parties of active operation id, as last set.
func (a *Host) operationParties(id string) []string {
	if in := a.intents.Load(); in != nil {
		return in.parties[id]
	}
	return nil
}
