// Package events delivers Truce's events live: an in-process Bus in front
// of a persistent, bounded event log, Server-Sent Events readers (Cursor),
// signed webhooks (Hooks, Dispatcher), and the Transport seam that carries
// events between servers.
//
// Server-Sent Events follow the WHATWG HTML Living Standard, §9.2
// "Server-sent events": each event is sent with "id:" set to its log id, so
// a client that reconnects sends Last-Event-ID and resumes after it, from
// the log, with no gap and no duplicate. Webhook signatures are HMAC-SHA256
// (RFC 2104, FIPS 180-4) over the timestamp and the body.
//
// # Ordering and durability
//
// An event is logged in the database transaction of the change it reports
// (truce.Tx.Publish), so a committed change always has its event and the
// event costs no commit of its own; events without a change of their own
// are logged with Bus.Publish. Ids come from a counter kept beside the
// journal's head and taken under the same lock, so they are given in
// commit order, and the store hands each commit's events to the bus before
// the writers learn of the commit: the log and the live stream agree on
// the order.
//
// Webhook deliveries are queued after the commit, not in it: the
// Dispatcher matches the events logged since its last pass against the
// webhooks and queues their deliveries, moving a cursor kept in the store
// in the same transaction (Store.QueueDeliveries). The write path holds
// the journal's lock only to log the events; a server killed between a
// commit and the matching loses no delivery, because the cursor has not
// moved and the next pass, on any server, matches from it. A webhook gets
// the events logged after it was created. The log is not the journal (it is bounded and not
// verifiable); the journal stays the record of truth. Events are kept for
// Options.Retention (default 7 days) and at most
// Options.MaxEvents; a reader resuming from a purged id is told
// (Cursor.Missed) and should reload its state.
//
// Servers sharing a PostgreSQL database draw ids from the one counter, so
// the ids of all their events are gap-free in commit order. A bus streams
// another server's events too: it reads them from the log when a local
// commit's first id shows a gap before it, and every Options.PollEvery
// (default 1 s) otherwise, or at once when a Transport between the
// servers (Options.Transport: Local in one process, NATS JetStream to
// come) carries them.
//
// # Who sees what
//
// Every event carries a truce.Visibility. A stream shows its reader only
// the events Visibility.Allows; a webhook receives the events its owner
// party may see (as a member without roles, not as the administrator who
// may have created it). Events without a visibility reach administrators
// only.
//
// # Receiving webhooks
//
// A webhook receives each event as an HTTP POST whose body is the event
// as JSON (the same object an SSE "data:" line carries):
//
//	{"id":42,"kind":"alert","subject":"...","index":-1,"time":"2017-07-09T12:00:00Z","data":{...},"point":[36.2,33.5]}
//
// with these headers:
//
//	X-Truce-Timestamp: 1499601600          (Unix seconds when it was sent)
//	X-Truce-Signature: sha256=5d41402a...  (hex HMAC-SHA256)
//	X-Truce-Event-Id:  42
//	X-Truce-Delivery:  1187                (same on every retry)
//
// To verify a delivery, a receiver:
//
//  1. reads the raw body bytes (before any JSON parsing: re-encoding
//     changes them);
//  2. computes HMAC-SHA256 with the webhook's secret (the whole string,
//     "whsec_" included, as bytes) as key over
//     X-Truce-Timestamp + "." + body, and hex-encodes it;
//  3. compares "sha256=" + that hex with X-Truce-Signature in constant
//     time, and refuses on mismatch;
//  4. refuses a timestamp more than a few minutes from its own clock, so
//     a captured delivery cannot be replayed later;
//  5. answers 2xx quickly (within 10 s), and ignores an X-Truce-Delivery
//     it has already processed: delivery is at least once.
//
// In Go, Verify does steps 1 to 4. In a shell:
//
//	printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -hex
//
// Any other answer than 2xx (redirects included), or no answer, is retried
// with exponential backoff from Dispatcher.MinBackoff (1 s) doubling to
// Dispatcher.MaxBackoff (10 min), each wait jittered over its upper half.
// Deliveries not made within Dispatcher.MaxAge (24 h) of the event are
// marked failed; GET /api/v1/webhooks/{id}/deliveries shows them with the
// last error. The secret is shown once, when the webhook is created; to
// rotate it, create a new webhook and delete the old one. Secrets are
// stored in the database as they are (HMAC needs them), so the database
// must be protected like the keys directory.
package events
