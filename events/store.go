package events

import (
	"context"
	"time"

	"github.com/truce-project/truce"
)

// Record is a logged event: a truce.Event with the id the event log gave
// it. Ids increase in the order events were published and are never
// reused, so a subscriber resumes after the last id it saw. Read back from
// the log, Data is a json.RawMessage.
type Record struct {
	ID int64 `json:"id"`
	truce.Event
	// Remote marks an event a live stream got by reading the log: one
	// another server sharing the database committed (or, rarely, one of
	// this server's read before its own commit reported it).
	Remote bool `json:"-"`
}

// Query selects logged events. Kinds and BBox are a prefilter the store may
// apply loosely (it may return more); Filter.Match decides.
type Query struct {
	After int64 // ids greater than this
	Kinds []string
	BBox  *BBox
	Limit int
}

// Webhook is a party's subscription to events by HTTP POST.
type Webhook struct {
	ID    string   `json:"id"`
	Party string   `json:"party"` // owner party id: events are filtered by what it may see
	URL   string   `json:"url"`
	Kinds []string `json:"kinds,omitempty"`
	BBox  *BBox    `json:"bbox,omitempty"`
	// Secret keys the signature; it is returned once, when created.
	Secret    string    `json:"secret,omitempty"`
	CreatedBy string    `json:"created_by"` // user id
	CreatedAt time.Time `json:"created_at"`
}

// Filter returns the webhook's event filter.
func (w *Webhook) Filter() Filter { return Filter{Kinds: w.Kinds, BBox: w.BBox} }

// Delivery is one event queued for one webhook.
type Delivery struct {
	ID            int64      `json:"id"`
	WebhookID     string     `json:"webhook"`
	EventID       int64      `json:"event"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"` // nil once delivered or failed
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	FailedAt      *time.Time `json:"failed_at,omitempty"`

	// Event and Webhook are filled by Store.DueDeliveries.
	Event   *Record  `json:"-"`
	Webhook *Webhook `json:"-"`
}

// Attempt is the outcome of one delivery attempt: Delivered, FailedAt (gave
// up) or NextAttemptAt (retry) is set.
type Attempt struct {
	Attempts      int
	Error         string
	DeliveredAt   *time.Time
	FailedAt      *time.Time
	NextAttemptAt *time.Time
}

// Store is the persistence the events package needs; internal/sqlstore
// implements it for SQLite and PostgreSQL, and eventstest.Run checks an
// implementation. Errors are *truce.Error codes (ENOTFOUND for a missing
// webhook).
type Store interface {
	// AppendEvents stores the events in one transaction, in order, and
	// sets each Record.ID from a counter that never goes back or reuses
	// an id (even once old events are purged). Ids are given in commit
	// order. A store also logs events this way inside its own
	// transactions (truce.Tx.Publish). Their webhook deliveries are
	// queued later, by QueueDeliveries.
	AppendEvents(ctx context.Context, evs []*Record) error
	// OnEvents sets the function the store calls after every commit that
	// logged events, with those events in id order, before any writer
	// learns of the commit. Commits are reported one at a time in commit
	// order, so ids arrive increasing. f must not block.
	OnEvents(f func(recs []*Record))
	// QueueDeliveries queues a pending delivery, due at once, for each
	// event logged after the ones it matched before (across every server
	// sharing the store, and across restarts) and each webhook that
	// MatchHooks gives the event and that was created before it was
	// logged. It matches up to n events in one transaction and reports how
	// many deliveries it queued and whether events are left to match.
	// Queueing is idempotent: an event is never queued twice for one
	// webhook.
	QueueDeliveries(ctx context.Context, n int) (queued int, more bool, err error)
	// Events returns up to q.Limit events with id > q.After, oldest first.
	Events(ctx context.Context, q Query) ([]*Record, error)
	// EventBounds returns the ids of the oldest and newest stored events
	// (0, 0 when there are none).
	EventBounds(ctx context.Context) (first, last int64, err error)
	// PurgeEvents deletes the events logged before before, and all but the
	// newest keep events, with their deliveries; it returns how many
	// events it deleted.
	PurgeEvents(ctx context.Context, before time.Time, keep int64) (int64, error)

	// InsertWebhook stores a new webhook with its secret.
	InsertWebhook(ctx context.Context, w *Webhook) error
	// Webhook returns a webhook with its secret, or ENOTFOUND.
	Webhook(ctx context.Context, id string) (*Webhook, error)
	// Webhooks lists a party's webhooks ("" for all), with secrets,
	// ordered by id.
	Webhooks(ctx context.Context, party string) ([]*Webhook, error)
	// DeleteWebhook deletes a webhook and its deliveries; ENOTFOUND if
	// there is none.
	DeleteWebhook(ctx context.Context, id string) error

	// DueDeliveries returns up to limit pending deliveries whose next
	// attempt is at or before now, soonest first, with Event and Webhook.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*Delivery, error)
	// ClaimDelivery moves a pending delivery's next attempt from from to
	// until and reports whether it did: false means another dispatcher
	// claimed it (or it is no longer pending). A claim is a lease, so a
	// dispatcher that dies mid-attempt leaves the delivery due again.
	ClaimDelivery(ctx context.Context, id int64, from, until time.Time) (bool, error)
	// RecordAttempt stores the outcome of an attempt.
	RecordAttempt(ctx context.Context, id int64, a Attempt) error
	// Deliveries lists a webhook's deliveries, newest first.
	// (before > 0: only those with smaller ids, the page after a cursor).
	Deliveries(ctx context.Context, webhookID string, before int64, limit int) ([]*Delivery, error)
}
