package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/truce-project/truce"
)

var (
	_ truce.AgreementService = (*Client)(nil)
	_ truce.ZoneService      = (*Client)(nil)
)

// CreateAgreement implements truce.AgreementService.
func (c *Client) CreateAgreement(ctx context.Context, in truce.AgreementCreate) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "POST", "/api/v1/agreements", in, &a, nil)
	return &a, err
}

// FindAgreement implements truce.AgreementService.
func (c *Client) FindAgreement(ctx context.Context, id string) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "GET", "/api/v1/agreements/"+url.PathEscape(id), nil, &a, nil)
	return &a, err
}

// ListAgreements implements truce.AgreementService.
func (c *Client) ListAgreements(ctx context.Context, f truce.AgreementFilter) ([]*truce.Agreement, string, error) {
	var pg Page[*truce.Agreement]
	_, err := c.Do(ctx, "GET", "/api/v1/agreements"+q("status", string(f.Status), "party", f.Party, "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

func ifMatchHeader(v int64) http.Header {
	h := http.Header{}
	if v != 0 {
		h.Set("If-Match", etag(v))
	}
	return h
}

// UpdateAgreement implements truce.AgreementService.
func (c *Client) UpdateAgreement(ctx context.Context, id string, u truce.AgreementUpdate, ifVersion int64) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "PATCH", "/api/v1/agreements/"+url.PathEscape(id), u, &a, ifMatchHeader(ifVersion))
	return &a, err
}

// ProposeAgreement implements truce.AgreementService.
func (c *Client) ProposeAgreement(ctx context.Context, id string, m truce.AgreementMotion, ifVersion int64) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "POST", "/api/v1/agreements/"+url.PathEscape(id)+"/proposals", m, &a, ifMatchHeader(ifVersion))
	return &a, err
}

// DecideAgreement implements truce.AgreementService.
func (c *Client) DecideAgreement(ctx context.Context, id string, proposal int, d truce.ZoneDecision) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "POST", "/api/v1/agreements/"+url.PathEscape(id)+"/proposals/"+strconv.Itoa(proposal)+"/decision", d, &a, nil)
	return &a, err
}

// GiveNotice implements truce.AgreementService.
func (c *Client) GiveNotice(ctx context.Context, id string, n truce.NoticeCreate) (*truce.Agreement, error) {
	var a truce.Agreement
	_, err := c.Do(ctx, "POST", "/api/v1/agreements/"+url.PathEscape(id)+"/notices", n, &a, nil)
	return &a, err
}

// ProposeZone implements truce.ZoneService.
func (c *Client) ProposeZone(ctx context.Context, p truce.ZoneProposal) (*truce.Zone, *truce.ZoneVersion, error) {
	var out ProposedZone
	_, err := c.Do(ctx, "POST", "/api/v1/zones", p, &out, nil)
	return out.Zone, out.Version, err
}

// ImportZones implements truce.ZoneService.
func (c *Client) ImportZones(ctx context.Context, in truce.ZoneImport) ([]*truce.ZoneVersion, error) {
	var pg Page[*truce.ZoneVersion]
	_, err := c.Do(ctx, "POST", "/api/v1/zones/import", in, &pg, nil)
	return pg.Items, err
}

// ProposeChange implements truce.ZoneService.
func (c *Client) ProposeChange(ctx context.Context, zoneID string, p truce.ZoneProposal, ifVersion int64) (*truce.ZoneVersion, error) {
	var v truce.ZoneVersion
	_, err := c.Do(ctx, "POST", "/api/v1/zones/"+url.PathEscape(zoneID)+"/versions", p, &v, ifMatchHeader(ifVersion))
	return &v, err
}

// ProposeSuspension implements truce.ZoneService.
func (c *Client) ProposeSuspension(ctx context.Context, zoneID, note string, eff *time.Time) (*truce.ZoneVersion, error) {
	var v truce.ZoneVersion
	_, err := c.Do(ctx, "POST", "/api/v1/zones/"+url.PathEscape(zoneID)+"/suspend", EndZone{note, eff}, &v, nil)
	return &v, err
}

// ProposeWithdrawal implements truce.ZoneService.
func (c *Client) ProposeWithdrawal(ctx context.Context, zoneID, note string, eff *time.Time) (*truce.ZoneVersion, error) {
	var v truce.ZoneVersion
	_, err := c.Do(ctx, "POST", "/api/v1/zones/"+url.PathEscape(zoneID)+"/withdraw", EndZone{note, eff}, &v, nil)
	return &v, err
}

// DecideZone implements truce.ZoneService.
func (c *Client) DecideZone(ctx context.Context, zoneID string, version int, d truce.ZoneDecision) (*truce.ZoneVersion, error) {
	var v truce.ZoneVersion
	_, err := c.Do(ctx, "POST", fmt.Sprintf("/api/v1/zones/%s/versions/%d/decision", url.PathEscape(zoneID), version), d, &v, nil)
	return &v, err
}

// ZoneDecisionStatement returns the exact text a party signs to approve
// or reject a version of a zone (GET …/versions/{version}/statement). A
// client that signs it checks it first (partykey.SignZoneDecision).
func (c *Client) ZoneDecisionStatement(ctx context.Context, zoneID string, version int, approve bool) (string, error) {
	d := "reject"
	if approve {
		d = "approve"
	}
	var b []byte
	_, err := c.Do(ctx, "GET", fmt.Sprintf("/api/v1/zones/%s/versions/%d/statement", url.PathEscape(zoneID), version)+q("decision", d), nil, &b, nil)
	return string(b), err
}

// FindZone implements truce.ZoneService.
func (c *Client) FindZone(ctx context.Context, id string) (*truce.Zone, error) {
	var z truce.Zone
	_, err := c.Do(ctx, "GET", "/api/v1/zones/"+url.PathEscape(id), nil, &z, nil)
	return &z, err
}

// ListZones implements truce.ZoneService.
func (c *Client) ListZones(ctx context.Context, f truce.ZoneFilter) ([]*truce.Zone, string, error) {
	var pg Page[*truce.Zone]
	_, err := c.Do(ctx, "GET", "/api/v1/zones"+q("agreement", f.Agreement, "kind", string(f.Kind), "state", string(f.State), "pending", pendingParam(f.Pending), "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

// ZoneHistory implements truce.ZoneService.
func (c *Client) ZoneHistory(ctx context.Context, id string) ([]*truce.ZoneVersion, error) {
	var pg Page[*truce.ZoneVersion]
	_, err := c.Do(ctx, "GET", "/api/v1/zones/"+url.PathEscape(id)+"/history", nil, &pg, nil)
	return pg.Items, err
}

// ZonesInForce implements truce.ZoneService.
func (c *Client) ZonesInForce(ctx context.Context, t time.Time) ([]*truce.ZoneVersion, error) {
	var pg Page[*truce.ZoneVersion]
	_, err := c.Do(ctx, "GET", "/api/v1/zones/in-force"+q("at", t.UTC().Format(time.RFC3339Nano)), nil, &pg, nil)
	return pg.Items, err
}

// ZonesAt implements truce.ZoneService.
func (c *Client) ZonesAt(ctx context.Context, lon, lat, altM float64, t time.Time) ([]truce.ZoneAt, error) {
	alt := ""
	if !math.IsNaN(altM) {
		alt = strconv.FormatFloat(altM, 'f', -1, 64)
	}
	var pg Page[truce.ZoneAt]
	_, err := c.Do(ctx, "GET", "/api/v1/zones/at"+q("lon", strconv.FormatFloat(lon, 'f', -1, 64), "lat", strconv.FormatFloat(lat, 'f', -1, 64),
		"alt", alt, "time", t.UTC().Format(time.RFC3339Nano)), nil, &pg, nil)
	return pg.Items, err
}

func pendingParam(p bool) string {
	if p {
		return "true"
	}
	return ""
}
