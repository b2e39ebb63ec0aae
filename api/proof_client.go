package api

import (
	"context"
	"net/url"
	"strconv"

	"github.com/truce-project/truce"
)

var _ truce.ProofService = (*Client)(nil)

// JournalEntryProof implements truce.ProofService.
func (c *Client) JournalEntryProof(ctx context.Context, index int64) (*truce.JournalRecord, *truce.InclusionProof, error) {
	var e JournalEntry
	if _, err := c.Do(ctx, "GET", "/api/v1/journal/"+strconv.FormatInt(index, 10), nil, &e, nil); err != nil {
		return nil, nil, err
	}
	return e.JournalRecord, e.Proof, nil
}

// RecordProofs implements truce.ProofService.
func (c *Client) RecordProofs(ctx context.Context, kind, subject string) (*truce.RecordProofs, error) {
	var p truce.RecordProofs
	_, err := c.Do(ctx, "GET", "/api/v1/records/"+url.PathEscape(kind)+"/"+url.PathEscape(subject)+"/proof", nil, &p, nil)
	return &p, err
}

// ConsistencyProof implements truce.ProofService.
func (c *Client) ConsistencyProof(ctx context.Context, old, new int64) (*truce.ConsistencyProof, error) {
	var p truce.ConsistencyProof
	_, err := c.Do(ctx, "GET", "/api/v1/journal/consistency"+q("old", strconv.FormatInt(old, 10), "new", strconv.FormatInt(new, 10)), nil, &p, nil)
	return &p, err
}
