package sqlite_test

import (
	"testing"

	"github.com/truce-project/truce/events"
	"github.com/truce-project/truce/events/eventstest"
)

func TestEventStore(t *testing.T) {
	eventstest.Run(t, func(t testing.TB) events.Store { return open(t).(events.Store) })
}
