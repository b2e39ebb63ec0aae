package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/truce-project/truce"
)

var (
	_ truce.AlertService    = (*Client)(nil)
	_ truce.AircraftService = (*Client)(nil)
	_ truce.FeedService     = (*Client)(nil)
)

// RaiseAlert is not offered over HTTP: alerts come from the engines.
func (c *Client) RaiseAlert(ctx context.Context, a *truce.Alert) (*truce.Alert, error) {
	return nil, truce.Errorf(truce.EFORBIDDEN, "Alerts are raised by the server's engines.")
}

// FindAlert implements truce.AlertService.
func (c *Client) FindAlert(ctx context.Context, id string) (*truce.Alert, error) {
	var a truce.Alert
	_, err := c.Do(ctx, "GET", "/api/v1/alerts/"+url.PathEscape(id), nil, &a, nil)
	return &a, err
}

// ListAlerts implements truce.AlertService.
func (c *Client) ListAlerts(ctx context.Context, f truce.AlertFilter) ([]*truce.Alert, string, error) {
	bbox, since := "", ""
	if f.BBox != nil {
		bbox = fmt.Sprintf("%g,%g,%g,%g", f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3])
	}
	if !f.Since.IsZero() {
		since = f.Since.UTC().Format(time.RFC3339)
	}
	ongoing := ""
	if f.Ongoing {
		ongoing = "true"
	}
	var pg Page[*truce.Alert]
	_, err := c.Do(ctx, "GET", "/api/v1/alerts"+q("kind", string(f.Kind), "state", string(f.State), "ongoing", ongoing, "episode", f.Episode, "bbox", bbox, "since", since, "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

// AcknowledgeAlert implements truce.AlertService.
func (c *Client) AcknowledgeAlert(ctx context.Context, id string, in truce.AlertAckInput) (*truce.Alert, error) {
	var a truce.Alert
	_, err := c.Do(ctx, "POST", "/api/v1/alerts/"+url.PathEscape(id)+"/acknowledge", in, &a, nil)
	return &a, err
}

// CloseAlert implements truce.AlertService.
func (c *Client) CloseAlert(ctx context.Context, id, note string) (*truce.Alert, error) {
	var a truce.Alert
	_, err := c.Do(ctx, "POST", "/api/v1/alerts/"+url.PathEscape(id)+"/close", AlertNote{note}, &a, nil)
	return &a, err
}

// RegisterAircraft implements truce.AircraftService.
func (c *Client) RegisterAircraft(ctx context.Context, in truce.Aircraft) (*truce.Aircraft, error) {
	var a truce.Aircraft
	_, err := c.Do(ctx, "POST", "/api/v1/aircraft", AircraftRegistration{Party: in.PartyID, ICAO: in.ICAO, CallsignPrefix: in.CallsignPrefix, Note: in.Note}, &a, nil)
	return &a, err
}

// ListAircraft implements truce.AircraftService.
func (c *Client) ListAircraft(ctx context.Context, party string) ([]*truce.Aircraft, error) {
	var pg Page[*truce.Aircraft]
	_, err := c.Do(ctx, "GET", "/api/v1/aircraft"+q("party", party), nil, &pg, nil)
	return pg.Items, err
}

// RemoveAircraft implements truce.AircraftService.
func (c *Client) RemoveAircraft(ctx context.Context, id string) (*truce.Aircraft, error) {
	var a truce.Aircraft
	_, err := c.Do(ctx, "POST", "/api/v1/aircraft/"+url.PathEscape(id)+"/remove", nil, &a, nil)
	return &a, err
}

// AddFeed implements truce.FeedService.
func (c *Client) AddFeed(ctx context.Context, f truce.FeedSource) (*truce.FeedSource, error) {
	var out truce.FeedSource
	_, err := c.Do(ctx, "POST", "/api/v1/feeds", FeedConfig{Kind: f.Kind, Addr: f.Addr, Name: f.Name}, &out, nil)
	return &out, err
}

// ListFeeds implements truce.FeedService.
func (c *Client) ListFeeds(ctx context.Context) ([]*truce.FeedSource, error) {
	var pg Page[*truce.FeedSource]
	_, err := c.Do(ctx, "GET", "/api/v1/feeds", nil, &pg, nil)
	return pg.Items, err
}

// RemoveFeed implements truce.FeedService.
func (c *Client) RemoveFeed(ctx context.Context, id string) (*truce.FeedSource, error) {
	var out truce.FeedSource
	_, err := c.Do(ctx, "POST", "/api/v1/feeds/"+url.PathEscape(id)+"/remove", nil, &out, nil)
	return &out, err
}

// Tracks returns the live tracks, optionally within a bbox.
func (c *Client) Tracks(ctx context.Context, bbox *truce.BBox) ([]truce.Track, error) {
	b := ""
	if bbox != nil {
		b = fmt.Sprintf("%g,%g,%g,%g", bbox[0], bbox[1], bbox[2], bbox[3])
	}
	var pg Page[truce.Track]
	_, err := c.Do(ctx, "GET", "/api/v1/tracks"+q("bbox", b), nil, &pg, nil)
	return pg.Items, err
}

// PostPositions sends a batch of NDJSON lines (each a JSON object).
func (c *Client) PostPositions(ctx context.Context, lines [][]byte) (truce.IngestResult, error) {
	var res truce.IngestResult
	body := bytes.Join(lines, []byte("\n"))
	req, err := http.NewRequestWithContext(ctx, "POST", c.URL+"/api/v1/positions", bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return res, truce.Errorf(truce.EUNAVAILABLE, "Cannot reach %s: %v", c.URL, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 400 {
		return res, problemError(resp.StatusCode, data)
	}
	return res, json.Unmarshal(data, &res)
}
