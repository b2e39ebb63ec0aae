package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Dispatcher defaults.
const (
	DefaultMaxAge     = 24 * time.Hour
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 10 * time.Minute
	DefaultPoll       = time.Second
	DefaultWorkers    = 4
	DefaultTimeout    = 10 * time.Second
)

// Dispatcher queues and delivers webhook deliveries. Events are logged in
// the transactions of the changes they report; the dispatcher matches them
// against the webhooks after those commit (Store.QueueDeliveries), from a
// cursor kept in the store, so the write path does not wait for matching
// and a crash between a commit and the matching loses nothing: the next
// dispatcher to run, on any server sharing the store, matches from the
// cursor.
//
// It POSTs each queued event as JSON, signed (see Sign), and retries a failure or non-2xx answer with
// capped, jittered exponential backoff until MaxAge after the event, when
// it marks the delivery failed. The queue is in the Store, so a restarted
// dispatcher carries on where the last one stopped; a delivery is claimed
// with a lease first, so dispatchers of several nodes sharing a database do
// not send it twice. Delivery is at least once: a receiver that answered
// 2xx to a delivery whose outcome was not recorded (a crash in between)
// gets it again, and should ignore a repeated X-Truce-Delivery.
type Dispatcher struct {
	Store Store
	// Client sends the requests; by default one with DefaultTimeout that
	// does not follow redirects.
	Client     *http.Client
	MaxAge     time.Duration
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Poll is how often due retries are looked for when nothing wakes
	// the dispatcher.
	Poll    time.Duration
	Workers int
	Logger  *slog.Logger
	Now     func() time.Time

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	init   sync.Once
}

func (d *Dispatcher) defaults() {
	d.init.Do(func() {
		if d.Client == nil {
			d.Client = &http.Client{Timeout: DefaultTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		}
		if d.MaxAge <= 0 {
			d.MaxAge = DefaultMaxAge
		}
		if d.MinBackoff <= 0 {
			d.MinBackoff = DefaultMinBackoff
		}
		if d.MaxBackoff < d.MinBackoff {
			d.MaxBackoff = max(DefaultMaxBackoff, d.MinBackoff)
		}
		if d.Poll <= 0 {
			d.Poll = DefaultPoll
		}
		if d.Workers <= 0 {
			d.Workers = DefaultWorkers
		}
		if d.Logger == nil {
			d.Logger = slog.Default()
		}
		if d.Now == nil {
			d.Now = time.Now
		}
		d.wake = make(chan struct{}, 1)
	})
}

// Start runs the dispatcher in the background until Stop.
func (d *Dispatcher) Start() {
	d.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done = cancel, make(chan struct{})
	go func() {
		defer close(d.done)
		d.run(ctx)
	}()
}

// Stop stops the dispatcher and waits for it. Attempts in flight are
// abandoned; their leases expire and they are retried.
func (d *Dispatcher) Stop() {
	if d.cancel != nil {
		d.cancel()
		<-d.done
		d.cancel = nil
	}
}

// Notify wakes the dispatcher: events were logged, or deliveries queued.
func (d *Dispatcher) Notify() {
	d.defaults()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Dispatcher) run(ctx context.Context) {
	t := time.NewTicker(d.Poll)
	defer t.Stop()
	for {
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.Logger.Error("webhook dispatch", "err", err)
		}
		if n > 0 && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

const dueBatch = 64

// lease is how long a claimed delivery stays out of other dispatchers'
// reach: longer than any attempt can take.
func (d *Dispatcher) lease() time.Duration {
	if d.Client.Timeout > 0 {
		return 2*d.Client.Timeout + 30*time.Second
	}
	return 5 * time.Minute
}

// matchBatch is how many events one transaction of QueueDeliveries
// matches.
const matchBatch = 1000

// RunOnce queues the deliveries of the events logged since the last pass
// (of any dispatcher sharing the store), then attempts the deliveries due
// now (up to one batch), and returns how many it attempted.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	d.defaults()
	// A failure to queue does not hold up the deliveries already queued.
	qerr := d.queue(ctx)
	now := d.Now()
	due, err := d.Store.DueDeliveries(ctx, now, dueBatch)
	if err != nil {
		return 0, errors.Join(qerr, err)
	}
	sem := make(chan struct{}, d.Workers)
	var wg sync.WaitGroup
	n := 0
	for _, dl := range due {
		if ctx.Err() != nil {
			break
		}
		// Not ctx: a claim that commits must be seen to have, or the
		// delivery would sit leased; a stopping dispatcher hands a
		// claimed delivery back in attempt.
		ok, err := d.Store.ClaimDelivery(context.Background(), dl.ID, *dl.NextAttemptAt, now.Add(d.lease()))
		if err != nil {
			wg.Wait()
			return n, err
		}
		if !ok {
			continue
		}
		n++
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.attempt(ctx, dl)
		}()
	}
	wg.Wait()
	return n, qerr
}

// queue queues the deliveries of every event not matched yet.
func (d *Dispatcher) queue(ctx context.Context) error {
	for {
		_, more, err := d.Store.QueueDeliveries(ctx, matchBatch)
		if err != nil || !more {
			return err
		}
	}
}

func (d *Dispatcher) attempt(ctx context.Context, dl *Delivery) {
	err := d.send(ctx, dl)
	now := d.Now()
	a := Attempt{Attempts: dl.Attempts + 1}
	switch {
	case ctx.Err() != nil:
		// Stopping: hand the delivery back, due now, for the next
		// dispatcher (rather than leaving it leased).
		a.Attempts, a.Error, a.NextAttemptAt = dl.Attempts, "dispatcher stopped during the attempt", &now
	case err == nil:
		a.DeliveredAt = &now
	case now.Sub(dl.CreatedAt) >= d.MaxAge:
		a.Error, a.FailedAt = err.Error(), &now
	default:
		next := now.Add(d.backoff(a.Attempts))
		a.Error, a.NextAttemptAt = err.Error(), &next
	}
	if err := d.Store.RecordAttempt(context.Background(), dl.ID, a); err != nil {
		d.Logger.Error("webhook attempt not recorded", "delivery", dl.ID, "err", err)
	}
	if a.FailedAt != nil {
		d.Logger.Warn("webhook delivery failed for good", "delivery", dl.ID, "webhook", dl.WebhookID, "event", dl.EventID, "attempts", a.Attempts, "err", a.Error)
	}
}

// backoff is MinBackoff doubled per attempt, capped at MaxBackoff, with
// the upper half jittered so receivers coming back up are not hit by
// every dispatcher at once.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	b := d.MinBackoff
	for i := 1; i < attempts && b < d.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.MaxBackoff)
	return b/2 + time.Duration(rand.Int64N(int64(b/2)+1))
}

func (d *Dispatcher) send(ctx context.Context, dl *Delivery) error {
	if dl.Event == nil || dl.Webhook == nil {
		return fmt.Errorf("delivery %d has lost its event or webhook", dl.ID)
	}
	body, err := json.Marshal(dl.Event)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	ts := strconv.FormatInt(d.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "truce-webhooks/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(dl.Webhook.Secret, ts, body))
	req.Header.Set(HeaderEventID, strconv.FormatInt(dl.EventID, 10))
	req.Header.Set(HeaderDelivery, strconv.FormatInt(dl.ID, 10))
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
