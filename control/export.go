package control

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/truce-project/truce/journal"
)

// RecordColumns are the columns of a guarantor record's CSV export, one
// row per breach; the GeoJSON export's feature properties have the same
// names.
var RecordColumns = []string{"breach_id", "guarantee_id", "actor_id", "control_area_id", "at", "detected_at", "due", "status", "evidence",
	"responded_at", "late", "hours_to_respond", "action", "incident_id", "attribution", "agreement_id", "zone_id"}

// recordRow is a breach as the exports write it, in RecordColumns' order.
func recordRow(b *Breach) []string {
	row := []string{b.ID, b.GuaranteeID, b.ActorID, b.ControlAreaID, b.At.Format(time.RFC3339), b.DetectedAt.Format(time.RFC3339),
		b.Due.Format(time.RFC3339), string(b.Status), b.Evidence, "", "", "", "", b.IncidentID, b.Attribution, b.AgreementID, b.ZoneID}
	if b.Response != nil {
		row[9], row[10] = b.Response.At.Format(time.RFC3339), fmt.Sprint(b.Response.Late)
		row[11], row[12] = fmt.Sprintf("%.2f", b.Response.At.Sub(b.DetectedAt).Hours()), b.Response.Action
	}
	return row
}

// WriteRecordCSV writes a guarantor's record as CSV (RFC 4180): a header
// of RecordColumns, then a row per breach. Free text that a spreadsheet
// would read as a formula is written with a leading apostrophe.
func WriteRecordCSV(w io.Writer, r *Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RecordColumns); err != nil {
		return err
	}
	for _, b := range r.Breaches {
		row := recordRow(b)
		for _, i := range []int{8, 12, 14} {
			row[i] = spreadsheetSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// RecordGeoJSON returns a party's record as guarantor (GuarantorRecord)
// as a GeoJSON FeatureCollection (RFC 7946): a feature per breach, whose
// geometry is the ground of the evidence — the control area that
// breached the guarantee, or the point of the incident — and whose
// properties are RecordColumns (late a boolean, hours a number) and the
// record's totals on the collection. Any signed-in user may export it.
func (s *Service) RecordGeoJSON(ctx context.Context, party string) ([]byte, error) {
	r, err := s.GuarantorRecord(ctx, party)
	if err != nil {
		return nil, err
	}
	type feature struct {
		Type       string          `json:"type"`
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Party    string    `json:"party_id"`
		Answered int       `json:"answered"`
		Late     int       `json:"late"`
		Open     int       `json:"unanswered"`
		MeanHr   float64   `json:"mean_response_hours"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Party: r.PartyID, Answered: r.Answered, Late: r.Late, Open: r.Unanswered, MeanHr: r.MeanResponseHr, Features: []feature{}}
	for _, b := range r.Breaches {
		f := feature{Type: "Feature", ID: b.ID, Geometry: json.RawMessage("null"), Properties: map[string]any{}}
		for i, v := range recordRow(b) {
			if v != "" {
				f.Properties[RecordColumns[i]] = v
			}
		}
		if b.Response != nil {
			f.Properties["late"] = b.Response.Late
			f.Properties["hours_to_respond"] = b.Response.At.Sub(b.DetectedAt).Hours()
		}
		switch {
		case b.Location != nil:
			f.Geometry, _ = json.Marshal(map[string]any{"type": "Point", "coordinates": b.Location[:]})
		case b.ControlAreaID != "":
			c, err := journal.VouchedFind(ctx, s.Journal, KindControlArea, func(ctx context.Context) (*ControlArea, error) {
				return s.Store.ControlArea(ctx, b.ControlAreaID)
			}, controlAreaID)
			if err != nil {
				return nil, err
			}
			f.Geometry = c.Geometry
		}
		fc.Features = append(fc.Features, f)
	}
	return json.Marshal(fc)
}
