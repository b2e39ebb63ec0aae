package zones

import (
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/journal"
)

// Service implements truce.AgreementService and truce.ZoneService over a
// Store, writing through the server's journal (which it embeds: the
// clock, the logger, the hooks and the integrity report are the
// journal's, shared with the other capabilities).
type Service struct {
	*journal.Journal
	Store Store
	// Accounts holds the parties: their kinds (who may sign), their keys
	// (which check a decision's signature, and sign for a custodial party).
	Accounts *accounts.Service
	// MaxVertices caps a zone geometry's vertices (0: geo's default,
	// 20,000).
	MaxVertices int
	// Index is the live index of zones in force (see Index); nil until
	// the server loads it.
	Index *Index
}

// New returns a Service over st, writing through the accounts' journal
// (one journal for the server's capabilities).
func New(st Store, acc *accounts.Service) *Service {
	return &Service{Journal: acc.Journal, Store: st, Accounts: acc}
}

var (
	_ truce.AgreementService = (*Service)(nil)
	_ truce.ZoneService      = (*Service)(nil)
)
