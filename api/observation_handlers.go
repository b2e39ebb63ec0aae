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
	"github.com/truce-project/truce/observation"
)

// Observations is what the ceasefire observation routes call
// (observation.Service implements it, and so does Client for the CLI).
type Observations interface {
	// AddObservation files an observation (EINVALID, EFORBIDDEN).
	AddObservation(ctx context.Context, in observation.Input) (*observation.Observation, error)
	FindObservation(ctx context.Context, id string) (*observation.Observation, error)
	ListObservations(ctx context.Context, f observation.Filter) ([]*observation.Observation, string, error)
	FindIncident(ctx context.Context, id string) (*observation.Incident, error)
	ListIncidents(ctx context.Context, f observation.IncidentFilter) ([]*observation.Incident, string, error)
	// DecideIncident takes a signed verification decision (EFORBIDDEN, EINVALID,
	// ECONFLICT, EPRECONDITION, EUNPROCESSABLE).
	DecideIncident(ctx context.Context, id string, d observation.DecisionInput) (*observation.Incident, error)
	// RespondIncident records the signed response of the party a verified
	// violation is attributed to (EFORBIDDEN, EINVALID, ECONFLICT,
	// EPRECONDITION, EUNPROCESSABLE); IncidentResponseStatement returns
	// the statement such a party holding its own key signs.
	RespondIncident(ctx context.Context, id string, in observation.ResponseInput) (*observation.Incident, error)
	IncidentResponseStatement(ctx context.Context, id string, in observation.ResponseInput) (string, error)
	// DailyReport returns the report of a UTC day.
	DailyReport(ctx context.Context, day time.Time) (*observation.DailyReport, error)
	// UploadEvidence stores an evidence file by its SHA-256 (EFORBIDDEN,
	// EINVALID, ETOOLARGE, ECONFLICT).
	UploadEvidence(ctx context.Context, sha256 string, data []byte) (*observation.Evidence, error)
	FindEvidence(ctx context.Context, sha256 string) (*observation.Evidence, error)
	// EvidenceFile returns the file as the caller may download it (the
	// copy without metadata when shared, or for another party).
	EvidenceFile(ctx context.Context, sha256 string, shared bool) (*observation.Evidence, []byte, error)
	// MergeIncidents and SplitIncident regroup observations by hand
	// (EFORBIDDEN, EINVALID, ECONFLICT, ENOTFOUND).
	MergeIncidents(ctx context.Context, id string, in observation.MergeInput) (*observation.Incident, error)
	SplitIncident(ctx context.Context, id string, in observation.SplitInput) (*observation.Incident, error)
	// MoveObservations moves observations into an existing incident
	// (EFORBIDDEN, EINVALID, ECONFLICT, ENOTFOUND).
	MoveObservations(ctx context.Context, id string, in observation.MoveInput) (*observation.Incident, error)
	// PublishReport journals the hash of a day's report as it stands
	// (EFORBIDDEN, EINVALID); PublishedReport returns it as published
	// (ENOTFOUND, EINTEGRITY).
	PublishReport(ctx context.Context, day time.Time, reason string) (*observation.PublishedReport, error)
	PublishedReport(ctx context.Context, day time.Time) (*observation.PublishedReport, error)
}

var (
	_ Observations = (*observation.Service)(nil)
	_ Observations = (*Client)(nil)
)

// RegisterObservation mounts the ceasefire observation API.
func RegisterObservation(s *Server, o Observations) {
	h := &observationHandlers{s: s, o: o}
	for _, rt := range []Route{
		{Method: "GET", Pattern: "/api/v1/observations", Handler: h.list},
		{Method: "POST", Pattern: "/api/v1/observations", Handler: h.add},
		{Method: "GET", Pattern: "/api/v1/observations/{id}", Handler: h.get},
		{Method: "GET", Pattern: "/api/v1/incidents", Handler: h.listIncidents},
		{Method: "GET", Pattern: "/api/v1/incidents/{id}", Handler: h.getIncident},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/decisions", Handler: h.decide},
		{Method: "GET", Pattern: "/api/v1/reports/daily", Handler: h.daily},
		{Method: "PUT", Pattern: "/api/v1/evidence/{sha256}", Handler: h.uploadEvidence, MaxBodyBytes: observation.MaxEvidenceBytes},
		{Method: "GET", Pattern: "/api/v1/evidence/{sha256}", Handler: h.getEvidence},
		{Method: "GET", Pattern: "/api/v1/evidence/{sha256}/file", Handler: h.evidenceFile},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/merge", Handler: h.merge},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/split", Handler: h.split},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/moves", Handler: h.move},
		{Method: "POST", Pattern: "/api/v1/reports/daily/publications", Handler: h.publish},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/response", Handler: h.respond},
		{Method: "POST", Pattern: "/api/v1/incidents/{id}/response/statement", Handler: h.responseStatement},
		{Method: "GET", Pattern: "/api/v1/reports/daily/published", Handler: h.published},
	} {
		s.Handle(rt)
	}
}

type observationHandlers struct {
	s *Server
	o Observations
}

func (h *observationHandlers) add(w http.ResponseWriter, r *http.Request) {
	var in observation.Input
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	o, err := h.o.AddObservation(r.Context(), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

func (h *observationHandlers) list(w http.ResponseWriter, r *http.Request) {
	lim, err := limitParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	os, next, err := h.o.ListObservations(r.Context(), observation.Filter{IncidentID: q.Get("incident"), Cursor: q.Get("cursor"), Limit: lim})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*observation.Observation]{Items: nonNil(os), NextCursor: next})
}

func (h *observationHandlers) get(w http.ResponseWriter, r *http.Request) {
	o, err := h.o.FindObservation(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (h *observationHandlers) listIncidents(w http.ResponseWriter, r *http.Request) {
	lim, err := limitParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	is, next, err := h.o.ListIncidents(r.Context(), observation.IncidentFilter{Status: observation.Status(q.Get("status")), Cursor: q.Get("cursor"), Limit: lim})
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Page[*observation.Incident]{Items: nonNil(is), NextCursor: next})
}

func (h *observationHandlers) getIncident(w http.ResponseWriter, r *http.Request) {
	inc, err := h.o.FindIncident(r.Context(), r.PathValue("id"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inc)
}

func (h *observationHandlers) decide(w http.ResponseWriter, r *http.Request) {
	var d observation.DecisionInput
	if err := decode(r, &d); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	inc, err := h.o.DecideIncident(r.Context(), r.PathValue("id"), d)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inc)
}

// respond records the responsible party's signed response to a verified
// violation.
func (h *observationHandlers) respond(w http.ResponseWriter, r *http.Request) {
	var in observation.ResponseInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	inc, err := h.o.RespondIncident(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inc)
}

// responseStatement answers the statement a responsible party holding
// its own key signs (observation.ResponseStatement); it records nothing.
func (h *observationHandlers) responseStatement(w http.ResponseWriter, r *http.Request) {
	var in observation.ResponseInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	st, err := h.o.IncidentResponseStatement(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Statement{st})
}

// dayParam reads the day query parameter (YYYY-MM-DD, UTC; default
// today).
func dayParam(r *http.Request) (time.Time, error) {
	v := r.URL.Query().Get("day")
	if v == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, truce.Errorf(truce.EINVALID, "Query parameter day must be a date like 2026-12-07.")
	}
	return t, nil
}

// daily serves the daily report as JSON, or as CSV (format=csv: totals
// by category; format=acled: one row per incident in ACLED's columns),
// each CSV with an HXL hashtag row.
func (h *observationHandlers) daily(w http.ResponseWriter, r *http.Request) {
	day, err := dayParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" && format != "acled" {
		h.s.writeError(w, r, truce.Errorf(truce.EINVALID, "format is json, csv or acled."))
		return
	}
	rep, err := h.o.DailyReport(r.Context(), day)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	switch format {
	case "csv", "acled":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="truce-`+format+`-`+rep.Day+`.csv"`)
		if format == "csv" {
			observation.WriteCSV(w, rep)
		} else {
			observation.WriteACLED(w, rep)
		}
	default:
		writeJSON(w, http.StatusOK, rep)
	}
}

// AddObservation implements Observations.
func (c *Client) AddObservation(ctx context.Context, in observation.Input) (*observation.Observation, error) {
	var o observation.Observation
	_, err := c.Do(ctx, "POST", "/api/v1/observations", in, &o, nil)
	return &o, err
}

// FindObservation implements Observations.
func (c *Client) FindObservation(ctx context.Context, id string) (*observation.Observation, error) {
	var o observation.Observation
	_, err := c.Do(ctx, "GET", "/api/v1/observations/"+url.PathEscape(id), nil, &o, nil)
	return &o, err
}

// ListObservations implements Observations.
func (c *Client) ListObservations(ctx context.Context, f observation.Filter) ([]*observation.Observation, string, error) {
	var pg Page[*observation.Observation]
	_, err := c.Do(ctx, "GET", "/api/v1/observations"+q("incident", f.IncidentID, "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

// FindIncident implements Observations.
func (c *Client) FindIncident(ctx context.Context, id string) (*observation.Incident, error) {
	var inc observation.Incident
	_, err := c.Do(ctx, "GET", "/api/v1/incidents/"+url.PathEscape(id), nil, &inc, nil)
	return &inc, err
}

// ListIncidents implements Observations.
func (c *Client) ListIncidents(ctx context.Context, f observation.IncidentFilter) ([]*observation.Incident, string, error) {
	var pg Page[*observation.Incident]
	_, err := c.Do(ctx, "GET", "/api/v1/incidents"+q("status", string(f.Status), "cursor", f.Cursor, "limit", itoa(f.Limit)), nil, &pg, nil)
	return pg.Items, pg.NextCursor, err
}

// DecideIncident implements Observations.
func (c *Client) DecideIncident(ctx context.Context, id string, d observation.DecisionInput) (*observation.Incident, error) {
	var inc observation.Incident
	_, err := c.Do(ctx, "POST", "/api/v1/incidents/"+url.PathEscape(id)+"/decisions", d, &inc, nil)
	return &inc, err
}

// RespondIncident implements Observations.
func (c *Client) RespondIncident(ctx context.Context, id string, in observation.ResponseInput) (*observation.Incident, error) {
	var inc observation.Incident
	_, err := c.Do(ctx, "POST", "/api/v1/incidents/"+url.PathEscape(id)+"/response", in, &inc, nil)
	return &inc, err
}

// IncidentResponseStatement implements Observations.
func (c *Client) IncidentResponseStatement(ctx context.Context, id string, in observation.ResponseInput) (string, error) {
	var st Statement
	_, err := c.Do(ctx, "POST", "/api/v1/incidents/"+url.PathEscape(id)+"/response/statement", in, &st, nil)
	return st.Statement, err
}

// DailyReport implements Observations.
func (c *Client) DailyReport(ctx context.Context, day time.Time) (*observation.DailyReport, error) {
	var rep observation.DailyReport
	_, err := c.Do(ctx, "GET", "/api/v1/reports/daily"+q("day", day.UTC().Format(time.DateOnly)), nil, &rep, nil)
	return &rep, err
}

// uploadEvidence stores the body, a file, under the SHA-256 in the path;
// 201 for a new file, 200 for one the party had uploaded already.
func (h *observationHandlers) uploadEvidence(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		h.s.writeError(w, r, decodeError(err))
		return
	}
	status := http.StatusCreated
	if _, err := h.o.FindEvidence(r.Context(), r.PathValue("sha256")); err == nil {
		status = http.StatusOK
	}
	e, err := h.o.UploadEvidence(r.Context(), r.PathValue("sha256"), data)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, e)
}

func (h *observationHandlers) getEvidence(w http.ResponseWriter, r *http.Request) {
	e, err := h.o.FindEvidence(r.Context(), r.PathValue("sha256"))
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// evidenceFile serves the file as an attachment of its sniffed type,
// never rendered in the page (nosniff), with the SHA-256 of the bytes
// served in X-Evidence-SHA256.
func (h *observationHandlers) evidenceFile(w http.ResponseWriter, r *http.Request) {
	copyParam := r.URL.Query().Get("copy")
	if copyParam != "" && copyParam != "shared" && copyParam != "original" {
		h.s.writeError(w, r, truce.Errorf(truce.EINVALID, "copy is original or shared."))
		return
	}
	e, b, err := h.o.EvidenceFile(r.Context(), r.PathValue("sha256"), copyParam == "shared")
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	sum := e.SHA256
	if len(b) != int(e.Size) || copyParam == "shared" {
		sum = e.Shared
	}
	w.Header().Set("Content-Type", e.MediaType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="evidence-%s%s"`, sum[:16], evidenceExt[e.MediaType]))
	w.Header().Set("X-Evidence-SHA256", sum)
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

var evidenceExt = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "video/mp4": ".mp4", "video/webm": ".webm",
	"audio/mpeg": ".mp3", "audio/wave": ".wav", "application/ogg": ".ogg", "application/pdf": ".pdf"}

// UploadEvidence implements Observations: the file is sent as it is,
// under its SHA-256.
func (c *Client) UploadEvidence(ctx context.Context, sum string, data []byte) (*observation.Evidence, error) {
	var e observation.Evidence
	b, err := c.raw(ctx, "PUT", "/api/v1/evidence/"+url.PathEscape(sum), data)
	if err != nil {
		return nil, err
	}
	return &e, json.Unmarshal(b, &e)
}

// FindEvidence implements Observations.
func (c *Client) FindEvidence(ctx context.Context, sum string) (*observation.Evidence, error) {
	var e observation.Evidence
	_, err := c.Do(ctx, "GET", "/api/v1/evidence/"+url.PathEscape(sum), nil, &e, nil)
	return &e, err
}

// EvidenceFile implements Observations; the bytes are checked against
// the hash the server says it served.
func (c *Client) EvidenceFile(ctx context.Context, sum string, shared bool) (*observation.Evidence, []byte, error) {
	e, err := c.FindEvidence(ctx, sum)
	if err != nil {
		return nil, nil, err
	}
	path := "/api/v1/evidence/" + url.PathEscape(sum) + "/file"
	if shared {
		path += "?copy=shared"
	}
	b, err := c.raw(ctx, "GET", path, nil)
	if err != nil {
		return nil, nil, err
	}
	if got := observation.SHA256Hex(b); got != e.SHA256 && got != e.Shared {
		return nil, nil, truce.Errorf(truce.EINTEGRITY, "The file downloaded has SHA-256 %s, neither the evidence's %s nor its shared copy's %s.", got, e.SHA256, e.Shared)
	}
	return e, b, nil
}

// raw sends a request whose body (and answer) are bytes, not JSON.
func (c *Client) raw(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, truce.Errorf(truce.EUNAVAILABLE, "Cannot reach %s: %v", c.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, observation.MaxEvidenceBytes+1))
	if err != nil {
		return nil, truce.Errorf(truce.EUNAVAILABLE, "Reading the response from %s: %v", c.URL, err)
	}
	if resp.StatusCode >= 400 {
		return nil, problemError(resp.StatusCode, data)
	}
	return data, nil
}

// merge moves the observations of other incidents into this one.
func (h *observationHandlers) merge(w http.ResponseWriter, r *http.Request) {
	var in observation.MergeInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	inc, err := h.o.MergeIncidents(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inc)
}

// split moves observations of this incident into a new one, which it
// answers with.
func (h *observationHandlers) split(w http.ResponseWriter, r *http.Request) {
	var in observation.SplitInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	inc, err := h.o.SplitIncident(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, inc)
}

// move moves observations of other incidents into this one, which it
// answers with.
func (h *observationHandlers) move(w http.ResponseWriter, r *http.Request) {
	var in observation.MoveInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	inc, err := h.o.MoveObservations(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, inc)
}

// MergeIncidents implements Observations.
func (c *Client) MergeIncidents(ctx context.Context, id string, in observation.MergeInput) (*observation.Incident, error) {
	var inc observation.Incident
	_, err := c.Do(ctx, "POST", "/api/v1/incidents/"+url.PathEscape(id)+"/merge", in, &inc, nil)
	return &inc, err
}

// SplitIncident implements Observations.
func (c *Client) SplitIncident(ctx context.Context, id string, in observation.SplitInput) (*observation.Incident, error) {
	var inc observation.Incident
	_, err := c.Do(ctx, "POST", "/api/v1/incidents/"+url.PathEscape(id)+"/split", in, &inc, nil)
	return &inc, err
}

// MoveObservations implements Observations.
func (c *Client) MoveObservations(ctx context.Context, id string, in observation.MoveInput) (*observation.Incident, error) {
	var inc observation.Incident
	_, err := c.Do(ctx, "POST", "/api/v1/incidents/"+url.PathEscape(id)+"/moves", in, &inc, nil)
	return &inc, err
}

func (h *observationHandlers) publish(w http.ResponseWriter, r *http.Request) {
	var in observation.PublishInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	day, err := time.Parse(time.DateOnly, in.Day)
	if err != nil {
		h.s.writeError(w, r, truce.Errorf(truce.EINVALID, "day must be a date like 2026-12-07."))
		return
	}
	p, err := h.o.PublishReport(r.Context(), day, in.Reason)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (h *observationHandlers) published(w http.ResponseWriter, r *http.Request) {
	day, err := dayParam(r)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	p, err := h.o.PublishedReport(r.Context(), day)
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// PublishReport implements Observations.
func (c *Client) PublishReport(ctx context.Context, day time.Time, reason string) (*observation.PublishedReport, error) {
	var p observation.PublishedReport
	_, err := c.Do(ctx, "POST", "/api/v1/reports/daily/publications", observation.PublishInput{Day: day.UTC().Format(time.DateOnly), Reason: reason}, &p, nil)
	return &p, err
}

// PublishedReport implements Observations; the report's bytes are checked
// against the hash of its publication.
func (c *Client) PublishedReport(ctx context.Context, day time.Time) (*observation.PublishedReport, error) {
	var p observation.PublishedReport
	if _, err := c.Do(ctx, "GET", "/api/v1/reports/daily/published"+q("day", day.UTC().Format(time.DateOnly)), nil, &p, nil); err != nil {
		return nil, err
	}
	if p.Publication == nil || observation.SHA256Hex(p.Report) != p.Publication.SHA256 {
		return nil, truce.Errorf(truce.EINTEGRITY, "The report served is not the one whose hash was published.")
	}
	return &p, nil
}
