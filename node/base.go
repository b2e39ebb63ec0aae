package node

import (
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/zones"
)

// Base is what set-up work (init, the demo, the benchmarks) and every
// capability are built over: the store, the server's one journal, the
// accounts and the zones. It embeds the journal, so its clock (Now), its
// hooks (OnAppend, OnEvent) and the records found changed (Integrity) are
// the ones every capability writes through.
type Base struct {
	*journal.Journal
	Store Store
	// Accounts holds the parties, users, tokens and keys, and signs for
	// custodial parties.
	Accounts *accounts.Service
	// Zones holds the agreements and zones, and the in-force index.
	Zones *zones.Service
}
