// Package journal is the one way Truce's capabilities change state, the
// check that the state they read is the state the journal recorded, and
// the journal's reading and proofs.
//
// Write runs a capability's decision in one store transaction and journals
// each change it makes: the entry's body is the record as stored, the
// request's Idempotency-Key is claimed in the same transaction, each
// change's event is logged there for streams and webhooks, and after the
// commit the appends and events are reported (Journal.OnAppend,
// Journal.OnEvent). The state checks (vouch.go) read a record's entries,
// check each against its Merkle tree leaf and body hash, and compare the
// row with the record the latest entry holds; a row that differs is
// refused (EINTEGRITY) and reported (Integrity) until it matches again.
// Replaying a kind whose state is more than its latest body (a zone and
// its versions) is its capability's; what every kind shares is here.
//
// # One journal, many small stores
//
// Each capability declares the store it needs, and no more: its reads,
// and a transaction interface that embeds Tx (the journal's part: Append,
// Publish, Claim) and adds the writes and reads of its own records. Write
// is generic over that transaction type X and takes a Store[X]: fn gets the
// capability's transaction, typed as the capability declared it, and a
// Writer to journal each change. A capability package therefore depends
// on neither the SQL store nor a catch-all store interface, and its tests
// can stand a small fake in for the store.
//
// The SQL store has one transaction type, which implements every
// capability's transaction interface. It hands each capability its store
// as a view whose Update passes its transaction on as the capability's:
//
//	func (s *Store) Accounts() accounts.Store { return accountsStore{s} }
//
//	func (a accountsStore) Update(ctx context.Context, fn func(accounts.Tx) error) error {
//		return a.update(ctx, func(t *tx) error { return fn(t) })
//	}
//
// fn(t) is where the compiler checks, once, that the store implements what
// the capability declared. A store held only as an interface (a test's
// wrapper) is narrowed the same way with Narrow. No type is asserted at run time to
// find a capability's methods (Write still asks a transaction whether it
// can say its next index, and the state checks ask a reader whether it
// reads a page of subjects at once: optional speed-ups, not contracts).
// truce.Store and truce.Tx hold no capability's records: only what the
// server shares (the journal, events, idempotency, leases).
//
// The alternative, re-declaring truce.Store and truce.Tx as compositions
// of the capabilities' interfaces, was not taken: package truce is
// imported by every capability, so it cannot name their interfaces, and
// any package that did would import every capability, which is the
// coupling this layout removes. Writing the transaction's type as a type
// parameter costs one argument (the Store) at each Write and the Writer
// beside the transaction in fn, where an embedded interface would have
// let fn call tx.Journal; Go cannot embed a type parameter.
//
// A Journal is shared by the capabilities of one server: the clock, the
// logger, the hooks and the records found changed are one, whichever
// capability wrote or read.
//
// # Reading the journal and proving it
//
// Service is the journal's read side (read.go, proofs.go): entries served
// as the log vouches for them (CheckEntries) and redacted by the one
// visibility rule, inclusion and consistency proofs against the latest
// signed checkpoint, and the proofs of one record's entries with the
// party records whose keys check their signatures. It lives here, not in
// package ledger, because ledger is an engine that imports nothing of
// Truce: it proves leaves of a Merkle tree and knows neither callers,
// visibility nor records. What joins the two, which entry a caller may
// read and which of its leaves' proofs to serve, is the journal's, and it
// uses the same checks as the write path's state checks. No capability
// owns the journal, so no capability package holds it.
//
// The self-check's state pass (CheckState, state.go) runs each
// capability's check of its records (a StateCheck, which the capability
// provides) and then the store's own checks of the columns the engines
// query and of rows deleted while the journal has them.
package journal
