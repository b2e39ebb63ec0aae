package events

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/truce-project/truce"
)

// WebhookCreate is the body of POST /api/v1/webhooks.
type WebhookCreate struct {
	// URL receives the POSTs: an absolute http or https URL.
	URL   string   `json:"url" required:"true"`
	Kinds []string `json:"kinds,omitempty"`
	BBox  *BBox    `json:"bbox,omitempty"`
	// Party (id or slug) owns the webhook; only administrators may name a
	// party other than their own. Empty means the caller's party.
	Party string `json:"party,omitempty"`
}

// PartyFinder resolves a party id or slug (truce.Store is one).
type PartyFinder interface {
	Party(ctx context.Context, idOrSlug string) (*truce.Party, error)
}

// Hooks manages webhook subscriptions with their rules: a party's
// operators and party administrators manage its webhooks, deployment
// administrators manage all, and no one else learns that they exist.
type Hooks struct {
	Store   Store
	Parties PartyFinder
	Now     func() time.Time
}

const maxWebhooksPerParty = 32

func (h *Hooks) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func manager(ctx context.Context) (*truce.Caller, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	return a, a.Require(truce.RoleOperator, truce.RolePartyAdmin)
}

// Create adds a webhook and returns it with its secret, which is shown this
// once.
func (h *Hooks) Create(ctx context.Context, c WebhookCreate) (*Webhook, error) {
	a, err := manager(ctx)
	if err != nil {
		return nil, err
	}
	if err := truce.CheckRef("party", c.Party); err != nil {
		return nil, err
	}
	if err := truce.CheckText("url", c.URL, 2048, false); err != nil {
		return nil, err
	}
	party := a.Party.ID
	if c.Party != "" && c.Party != a.Party.ID && c.Party != a.Party.Slug {
		if !a.IsAdmin() {
			return nil, truce.Errorf(truce.EFORBIDDEN, "Only administrators create webhooks for another party.")
		}
		p, err := h.Parties.Party(ctx, c.Party)
		if err != nil {
			return nil, err
		}
		party = p.ID
	}
	if err := validURL(c.URL); err != nil {
		return nil, err
	}
	for _, k := range c.Kinds {
		if !slices.Contains(truce.EventKinds, strings.TrimSpace(k)) {
			return nil, truce.Errorf(truce.EINVALID, "Unknown event kind %q: use %s.", k, strings.Join(truce.EventKinds, ", "))
		}
	}
	f, err := ParseFilter(strings.Join(c.Kinds, ","), "")
	if err != nil {
		return nil, err
	}
	if err := c.BBox.Validate(); err != nil {
		return nil, err
	}
	existing, err := h.Store.Webhooks(ctx, party)
	if err != nil {
		return nil, err
	}
	if len(existing) >= maxWebhooksPerParty {
		return nil, truce.Errorf(truce.ECONFLICT, "A party may have at most %d webhooks; delete one first.", maxWebhooksPerParty)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	w := &Webhook{
		ID: uuid.Must(uuid.NewV7()).String(), Party: party, URL: c.URL, Kinds: f.Kinds, BBox: c.BBox,
		Secret:    "whsec_" + base64.RawURLEncoding.EncodeToString(secret),
		CreatedBy: a.User.ID, CreatedAt: h.now(),
	}
	if err := h.Store.InsertWebhook(ctx, w); err != nil {
		return nil, err
	}
	return w, nil
}

func validURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return truce.Errorf(truce.EINVALID, "url must be an absolute http or https URL.")
	}
	if u.User != nil {
		return truce.Errorf(truce.EINVALID, "url must not carry credentials; the signature authenticates deliveries.")
	}
	if len(s) > 2048 {
		return truce.Errorf(truce.EINVALID, "url is longer than 2048 characters.")
	}
	return nil
}

func redact(ws ...*Webhook) {
	for _, w := range ws {
		w.Secret = ""
	}
}

// List returns the webhooks of a party (id; "" for the caller's, or for
// all when the caller is an administrator), without secrets.
func (h *Hooks) List(ctx context.Context, party string) ([]*Webhook, error) {
	a, err := manager(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case party == "" && !a.IsAdmin():
		party = a.Party.ID
	case party != "" && party != a.Party.ID && party != a.Party.Slug && !a.IsAdmin():
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only administrators list another party's webhooks.")
	case party == a.Party.Slug:
		party = a.Party.ID
	case party != "" && h.Parties != nil:
		p, err := h.Parties.Party(ctx, party)
		if err != nil {
			return nil, err
		}
		party = p.ID
	}
	ws, err := h.Store.Webhooks(ctx, party)
	if err != nil {
		return nil, err
	}
	redact(ws...)
	return ws, nil
}

// Find returns a webhook without its secret. Another party's webhook is
// ENOTFOUND, as if it did not exist.
func (h *Hooks) Find(ctx context.Context, id string) (*Webhook, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	w, err := h.Store.Webhook(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.IsAdmin() && w.Party != a.Party.ID {
		return nil, truce.Errorf(truce.ENOTFOUND, "Webhook %q not found.", id)
	}
	if err := a.Require(truce.RoleOperator, truce.RolePartyAdmin); err != nil {
		return nil, err
	}
	redact(w)
	return w, nil
}

// Delete removes a webhook and its queued deliveries.
func (h *Hooks) Delete(ctx context.Context, id string) error {
	if _, err := h.Find(ctx, id); err != nil {
		return err
	}
	if err := h.Store.DeleteWebhook(ctx, id); err != nil {
		return err
	}
	return nil
}

// Deliveries returns a webhook's most recent deliveries, newest first, so
// its owner can see what failed and why.
func (h *Hooks) Deliveries(ctx context.Context, id, cursor string, limit int) ([]*Delivery, string, error) {
	if _, err := h.Find(ctx, id); err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var before int64
	if cursor != "" {
		var err error
		if before, err = strconv.ParseInt(cursor, 10, 64); err != nil || before <= 0 {
			return nil, "", truce.Errorf(truce.EINVALID, "cursor must be the next_cursor of a previous page.")
		}
	}
	ds, err := h.Store.Deliveries(ctx, id, before, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ds) > limit {
		ds, next = ds[:limit], strconv.FormatInt(ds[limit-1].ID, 10)
	}
	return ds, next, nil
}
