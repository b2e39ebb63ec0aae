package observation

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/truce-project/truce"
)

// canonicalWriter appends the members of one JSON object in RFC 8785
// form, in the order they are given (which must be the order of their
// names), and keeps the first error.
type canonicalWriter struct {
	b     []byte
	first bool
	err   error
}

func (w *canonicalWriter) name(n string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(w.b, '"')
	w.b = append(w.b, n...)
	w.b = append(w.b, '"', ':')
}

func (w *canonicalWriter) str(n, v string) {
	w.name(n)
	w.b = truce.AppendCanonicalString(w.b, v)
}

func (w *canonicalWriter) optStr(n, v string) {
	if v != "" {
		w.str(n, v)
	}
}

func (w *canonicalWriter) float(n string, f float64) {
	w.name(n)
	w.b = appendFloat(w, w.b, f)
}

func (w *canonicalWriter) optFloat(n string, f float64) {
	if f != 0 {
		w.float(n, f)
	}
}

func (w *canonicalWriter) int(n string, v int64) {
	w.name(n)
	w.b = appendInt(w, w.b, v)
}

func (w *canonicalWriter) time(n string, t time.Time) {
	w.name(n)
	var err error
	if w.b, err = truce.AppendCanonicalTime(w.b, t); err != nil && w.err == nil {
		w.err = err
	}
}

func (w *canonicalWriter) point(n string, p Point) {
	w.name(n)
	w.b = append(w.b, `{"lat":`...)
	w.b = appendFloat(w, w.b, p.Lat)
	w.b = append(w.b, `,"lon":`...)
	w.b = appendFloat(w, w.b, p.Lon)
	w.b = append(w.b, '}')
}

func (w *canonicalWriter) count(n string, c Count) {
	w.name(n)
	w.b = append(w.b, `{"best":`...)
	w.b = appendInt(w, w.b, int64(c.Best))
	w.b = append(w.b, `,"high":`...)
	w.b = appendInt(w, w.b, int64(c.High))
	w.b = append(w.b, `,"low":`...)
	w.b = appendInt(w, w.b, int64(c.Low))
	w.b = append(w.b, '}')
}

func (w *canonicalWriter) ring(n string, r [][2]float64) {
	w.name(n)
	if r == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, p := range r {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, '[')
		w.b = appendFloat(w, w.b, p[0])
		w.b = append(w.b, ',')
		w.b = appendFloat(w, w.b, p[1])
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, ']')
}

func (w *canonicalWriter) strings(n string, ss []string) {
	w.name(n)
	if ss == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, s := range ss {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = truce.AppendCanonicalString(w.b, s)
	}
	w.b = append(w.b, ']')
}

// marshal writes v as json.Marshal and AppendCanonical would: for the
// members that are rare on the filing path (a cross-fix, decisions,
// violations, regroupings).
func (w *canonicalWriter) marshal(n string, v any) {
	if w.err != nil {
		return
	}
	raw, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	w.name(n)
	w.b, w.err = truce.AppendCanonical(w.b, raw)
}

func appendFloat(w *canonicalWriter, b []byte, f float64) []byte {
	out, err := truce.AppendCanonicalFloat(b, f)
	if err != nil && w.err == nil {
		w.err = err
	}
	return out
}

// appendInt writes v as a JSON number read as a double and written back
// as ECMAScript does (exact below 10^15).
func appendInt(w *canonicalWriter, b []byte, v int64) []byte {
	if v > -1e15 && v < 1e15 {
		return strconv.AppendInt(b, v, 10)
	}
	return appendFloat(w, b, float64(v))
}

// AppendCanonicalJSON appends the RFC 8785 canonical JSON of o: the bytes
// truce.AppendCanonical makes of json.Marshal(o), written in one pass.
// Each filing journals its observation and its incident, and encoding
// them by reflection and then canonicalising the text was a seventh of
// the CPU a filing cost (most of it the areas' coordinates, formatted
// twice and parsed once). The members are written in the order of their
// names; TestObservation_AppendCanonicalJSON holds it to json.Marshal and
// AppendCanonical for every field, so that a field added to Observation
// (or Input) and not here fails it.
func (o *Observation) AppendCanonicalJSON(b []byte) ([]byte, error) {
	w := &canonicalWriter{b: append(b, '{'), first: true}
	w.optFloat("accuracy", o.Accuracy)
	w.optStr("actor", o.Actor)
	w.ring("area", o.Area)
	if br := o.Bearing; br != nil {
		w.name("bearing")
		w.b = append(w.b, `{"degrees":`...)
		w.b = appendFloat(w, w.b, br.Degrees)
		w.b = append(w.b, `,"error":`...)
		w.b = appendFloat(w, w.b, br.Error)
		w.b = append(w.b, `,"max_distance":`...)
		w.b = appendFloat(w, w.b, br.MaxDistance)
		w.b = append(w.b, `,"min_distance":`...)
		w.b = appendFloat(w, w.b, br.MinDistance)
		w.b = append(w.b, '}')
	}
	w.count("casualties", o.Casualties)
	w.str("category", string(o.Category))
	w.point("center", o.Center)
	w.optFloat("confidence", o.Confidence)
	w.time("created_at", o.CreatedAt)
	w.time("end", o.End)
	w.count("events", o.Events)
	if len(o.Evidence) > 0 {
		w.strings("evidence", o.Evidence)
	}
	w.optStr("filed_by", o.FiledBy)
	w.int("geo_precision", int64(o.GeoPrecision))
	w.str("id", o.ID)
	w.str("incident_id", o.IncidentID)
	w.int("journal_index", o.JournalIndex)
	if o.Location != nil {
		w.point("location", *o.Location)
	}
	w.str("mode", string(o.Mode))
	w.optStr("narrative", o.Narrative)
	w.optStr("observer_id", o.ObserverID)
	w.str("observer_label", o.ObserverLabel)
	w.point("observer_position", o.Position)
	w.str("party_id", o.PartyID)
	w.optStr("pcode", o.PCode)
	w.float("radius", o.Radius)
	w.time("start", o.Start)
	w.optStr("sub_category", o.SubCategory)
	w.int("time_precision", int64(o.TimePrecision))
	w.int("version", int64(o.Version))
	w.optStr("weapon", o.Weapon)
	return append(w.b, '}'), w.err
}

// AppendCanonicalJSON appends the RFC 8785 canonical JSON of inc, as
// Observation.AppendCanonicalJSON does for an observation (held to
// json.Marshal and AppendCanonical by TestIncident_AppendCanonicalJSON).
func (inc *Incident) AppendCanonicalJSON(b []byte) ([]byte, error) {
	w := &canonicalWriter{b: append(b, '{'), first: true}
	w.optStr("actor", inc.Actor)
	w.optFloat("actor_confidence", inc.ActorConfidence)
	w.ring("area", inc.Area)
	w.count("casualties", inc.Casualties)
	w.str("category", string(inc.Category))
	w.point("center", inc.Center)
	w.time("created_at", inc.CreatedAt)
	if len(inc.Decisions) > 0 {
		w.marshal("decisions", inc.Decisions)
	}
	w.time("end", inc.End)
	w.count("events", inc.Events)
	if inc.Fix != nil {
		w.marshal("fix", inc.Fix)
	}
	w.str("id", inc.ID)
	w.int("journal_index", inc.JournalIndex)
	w.optStr("merged_into", inc.MergedInto)
	w.int("observations", int64(inc.Observations))
	w.int("observers", int64(inc.Observers))
	w.strings("parties", inc.Parties)
	w.optStr("pcode", inc.PCode)
	w.float("radius", inc.Radius)
	if len(inc.Regroupings) > 0 {
		w.marshal("regroupings", inc.Regroupings)
	}
	if len(inc.Responses) > 0 {
		w.marshal("responses", inc.Responses)
	}
	w.time("start", inc.Start)
	w.str("status", string(inc.Status))
	w.optStr("sub_category", inc.SubCategory)
	w.time("updated_at", inc.UpdatedAt)
	w.int("version", int64(inc.Version))
	if len(inc.Violations) > 0 {
		w.marshal("violations", inc.Violations)
	}
	return append(w.b, '}'), w.err
}
