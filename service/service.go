// Package service implements Truce's service interfaces over a truce.Store.
// Authorisation and domain rules live here, so the API, the CLI and the web
// UI cannot disagree: handlers only decode, call one method and encode.
package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
)

// Service implements PartyService, UserService, TokenService,
// JournalService and Authenticator.
type Service struct {
	Store truce.Store
	Keys  *Keys
	Now   func() time.Time
	Log   *slog.Logger
	// OnAppend, when set, is called with the journal index of every
	// committed change (metrics, checkpoint signing, the event bus).
	OnAppend func(kind string, index int64)
	// MaxVertices caps a zone geometry's vertices (0: geo's default,
	// 20,000).
	MaxVertices int
	// Zones is the live index of zones in force (see ZoneIndex).
	Zones *ZoneIndex
	// OnEvent, when set, is given each committed change's event (already
	// logged for streams and webhooks in the change's transaction), for
	// the in-process engines that follow changes. It runs before the
	// request that made the change returns, so a caller reads its own
	// writes from those engines.
	OnEvent func(truce.Event)
	// Ledger is the signed log over the journal, for proofs; nil when the
	// deployment has none (proof methods then answer EUNAVAILABLE).
	Ledger ledger.Storage
	// Logins bounds password sign-ins (see LoginLimits).
	Logins *LoginGuard
	// Integrity collects the stored records found not to match their
	// journal entries (vouch.go).
	Integrity *Integrity
}

// New returns a Service.
func New(store truce.Store, keys *Keys) *Service {
	return &Service{Store: store, Keys: keys, Now: Now, Log: slog.Default(), Logins: NewLoginGuard(LoginLimits{}), Integrity: &Integrity{}}
}

var (
	_ truce.PartyService   = (*Service)(nil)
	_ truce.UserService    = (*Service)(nil)
	_ truce.TokenService   = (*Service)(nil)
	_ truce.JournalService = (*Service)(nil)
	_ truce.Authenticator  = (*Service)(nil)
	_ truce.ProofService   = (*Service)(nil)
)

// NewID returns a new UUIDv7: time-ordered, so cursors that page by id page
// by creation time.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// commit journals a change decided before the transaction (a new record)
// and runs fn with its journal index; see update.
func (s *Service) commit(ctx context.Context, a *truce.Caller, c truce.Change, fn func(tx truce.Tx, index int64) error) (int64, error) {
	return s.update(ctx, a, func(tx truce.Tx) (truce.Change, func(int64) error, error) {
		return c, func(i int64) error { return fn(tx, i) }, nil
	})
}

// update is the one way services change state: inside one transaction,
// edit reads what it needs through tx and returns the change to journal
// and the write to make with the entry's index; update seals the change as
// made by the actor (nil: "system"), appends it, claims the request's
// Idempotency-Key for it (the first write of a request that has one), runs
// the write, logs the change's event (if it has one) in the same
// transaction, and after commit
// reports the append (metrics, checkpoint signing) and the event
// (OnEvent). The store may run edit more than once (a shared batch that
// is retried), so edit starts from what it reads.
func (s *Service) update(ctx context.Context, a *truce.Caller, edit func(tx truce.Tx) (truce.Change, func(index int64) error, error)) (int64, error) {
	idxs, err := s.updateAll(ctx, a, func(tx truce.Tx) ([]truce.Change, func([]int64) error, error) {
		c, write, err := edit(tx)
		if err != nil {
			return nil, nil, err
		}
		return []truce.Change{c}, func(idxs []int64) error { return write(idxs[0]) }, nil
	})
	if err != nil {
		return 0, err
	}
	return idxs[0], nil
}

// updateAll is update for changes made together (an import): one
// transaction journals them all, in order, and claims the request's
// Idempotency-Key for the first; write gets their journal indexes.
func (s *Service) updateAll(ctx context.Context, a *truce.Caller, edit func(tx truce.Tx) ([]truce.Change, func(indexes []int64) error, error)) ([]int64, error) {
	party, user := "system", "system"
	if a != nil {
		party, user = a.Party.ID, a.User.ID
	}
	claim := truce.IdempotencyFrom(ctx)
	claiming := claim != nil && !claim.Claimed
	var cs []truce.Change
	var idxs []int64
	var evs []*truce.Event
	err := s.Store.Update(ctx, func(tx truce.Tx) error {
		var write func([]int64) error
		var err error
		if cs, write, err = edit(tx); err != nil {
			return err
		}
		now := s.Now()
		idxs, evs = make([]int64, len(cs)), nil
		// The records are written first, with the indexes their entries
		// will have, so that each entry's body is the record as stored
		// (its journal index included) and the stored record can be
		// checked against the entry (vouch.go).
		next, predicted := nextIndex(tx)
		if predicted {
			for i := range idxs {
				idxs[i] = next + int64(i)
			}
			if err := write(idxs); err != nil {
				return err
			}
		}
		for i, c := range cs {
			sealed, err := c.Seal(party, user, now)
			if err != nil {
				return err
			}
			idx, err := tx.Append(ctx, sealed)
			if err != nil {
				return err
			}
			if predicted && idx != idxs[i] {
				return fmt.Errorf("journal: entry appended at %d, expected at %d", idx, idxs[i])
			}
			idxs[i] = idx
		}
		if claiming && len(idxs) > 0 {
			if err := tx.Claim(ctx, claim, idxs[0]); err != nil {
				return err
			}
		}
		if !predicted {
			if err := write(idxs); err != nil {
				return err
			}
		}
		for i, c := range cs {
			if ev := changeEvent(c, idxs[i], now); ev != nil {
				if err := tx.Publish(ctx, ev); err != nil {
					return err
				}
				evs = append(evs, ev)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if claiming {
		claim.Claimed = true
	}
	if s.OnAppend != nil {
		for i, c := range cs {
			s.OnAppend(c.Kind, idxs[i])
		}
	}
	if s.OnEvent != nil {
		for _, ev := range evs {
			s.OnEvent(*ev)
		}
	}
	return idxs, nil
}

// changeEvent completes a change's event (nil if it has none) with what
// the change and its entry say: kind, subject, journal index, time and
// the entry's visibility, so a stream shows a reader only the changes the
// journal would.
func changeEvent(c truce.Change, idx int64, now time.Time) *truce.Event {
	if c.Event == nil {
		return nil
	}
	e := *c.Event
	if e.Kind == "" {
		e.Kind = c.Kind
	}
	if e.Subject == "" {
		e.Subject = c.Subject
	}
	if e.Time.IsZero() {
		e.Time = now
	}
	if e.Visibility.Scope == "" {
		e.Visibility = c.Visibility
	}
	e.Index = idx
	return &e
}

// newSecret returns a 256-bit random token secret and its SHA-256.
func newSecret() (string, []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	secret := "truce_" + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// HashSecret returns the SHA-256 of a token secret, as stored.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

func pageCursor[T any](items []T, limit int, id func(T) string) ([]T, string) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	if len(items) > limit {
		return items[:limit], id(items[limit-1])
	}
	return items, ""
}

func clean(s string) string { return strings.TrimSpace(s) }

// Now is the service clock: UTC, truncated to the microsecond that both
// databases store, so a record reads back equal to what was written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
