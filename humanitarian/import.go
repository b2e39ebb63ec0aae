package humanitarian

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
)

// Import formats.
const (
	FormatCSV     = "csv"
	FormatGeoJSON = "geojson"
)

// Bounds of one import.
const (
	MaxImportRows   = 20_000
	MaxImportBytes  = 16 << 20
	maxErrorsListed = 200
)

// RowError is one bad value of an import: the line of a CSV file (1 is the
// header) or the number of a GeoJSON feature (1 is the first), the column
// or property, and what is wrong.
type RowError struct {
	Line    int    `json:"line"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

// ImportError is every bad value of a refused import.
type ImportError struct {
	Format string
	Rows   []RowError
}

func (e *ImportError) Error() string { return e.message() }

func (e *ImportError) message() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Nothing was imported: %d bad value(s).", len(e.Rows))
	unit := e.unit()
	for i, r := range e.Rows {
		if i == maxErrorsListed {
			fmt.Fprintf(&b, "\n… and %d more.", len(e.Rows)-i)
			break
		}
		fmt.Fprintf(&b, "\n%s %d, %s: %s", unit, r.Line, r.Column, r.Message)
	}
	return b.String()
}

func (e *ImportError) unit() string {
	switch e.Format {
	case FormatGeoJSON:
		return "feature"
	case FormatKML:
		return "placemark"
	}
	return "line"
}

// truceError is e as the EINVALID error the delivery layers show, with
// e in its chain for callers that list the rows themselves.
func (e *ImportError) truceError() error {
	return importFailure{truce.Errorf(truce.EINVALID, "%s", e.message()), e}
}

type importFailure struct {
	te *truce.Error
	ie *ImportError
}

func (f importFailure) Error() string   { return f.te.Error() }
func (f importFailure) Unwrap() []error { return []error{f.te, f.ie} }

func errorf(format string, args ...any) error { return truce.Errorf(truce.EINVALID, format, args...) }

// row is one parsed site and where it was; bad when a value of it did not
// parse (and was reported).
type row struct {
	f        SiteFields
	line     int
	bad      bool
	reported map[string]bool // the fields whose values did not parse
}

// Import parses a CSV (with or without an HXL hashtag row) or GeoJSON file
// of sites and notifies them all, or none: a file with any bad row is
// refused with every bad row's line and column (an EINVALID error whose
// chain holds the *ImportError).
func (s *Service) Import(ctx context.Context, agreementID, format string, data []byte) ([]*Site, error) {
	fields, err := ParseSites(format, data)
	if err != nil {
		return nil, err
	}
	return s.ImportSites(ctx, agreementID, fields)
}

// ParseSites reads sites from a file in format (csv or geojson). Every row
// is checked as a notification would be; a file with any bad row returns
// every bad value, by line (or feature) and column (or property).
func ParseSites(format string, data []byte) ([]SiteFields, error) {
	if len(data) > MaxImportBytes {
		return nil, errorf("A file of sites is at most %d MiB.", MaxImportBytes>>20)
	}
	var rows []row
	var e *ImportError
	switch format {
	case FormatCSV:
		rows, e = parseCSV(data)
	case FormatGeoJSON:
		rows, e = parseGeoJSON(data)
	case FormatKML:
		rows, e = parseKMLSites(data)
	default:
		return nil, errorf("Unknown format %q: use csv, geojson or kml.", format)
	}
	if e == nil {
		e = &ImportError{Format: format}
	}
	if len(rows) > MaxImportRows {
		return nil, errorf("A file of sites holds at most %d sites.", MaxImportRows)
	}
	if len(rows) == 0 && len(e.Rows) == 0 {
		return nil, errorf("The file holds no sites.")
	}
	seen := make(map[string]int, len(rows))
	fs := make([]SiteFields, len(rows))
	for i, r := range rows {
		_, ps := checkSite(&r.f)
		for _, p := range ps {
			// A value that did not parse was reported as such; what
			// follows from it (a missing date, no geometry) is not.
			if !r.bad || !r.reported[p.field] && !(p.field == "geometry" && (r.reported["lon"] || r.reported["lat"])) {
				e.Rows = append(e.Rows, RowError{r.line, p.field, p.msg})
			}
		}
		if r.bad || len(ps) > 0 {
			continue
		}
		fs[i] = r.f
		key := string(r.f.Category) + "\x00" + r.f.Name + "\x00" + string(r.f.Geometry)
		if first, dup := seen[key]; dup {
			e.Rows = append(e.Rows, RowError{r.line, "name", fmt.Sprintf("Duplicate of %s %d (the same name, category and place).", e.unit(), first)})
			continue
		}
		seen[key] = r.line
	}
	if len(e.Rows) > 0 {
		slices.SortStableFunc(e.Rows, func(a, b RowError) int { return a.Line - b.Line })
		return nil, e.truceError()
	}
	return fs, nil
}

func newRow(f SiteFields, line int, bad []RowError) row {
	r := row{f: f, line: line, bad: len(bad) > 0}
	if r.bad {
		r.reported = map[string]bool{}
		for _, b := range bad {
			r.reported[b.Column] = true
		}
	}
	return r
}

// columns maps a CSV header or HXL hashtag to the field it fills.
var columns = map[string]string{
	"name": "name", "#loc+name": "name",
	"category": "category", "type": "category", "#loc+type": "category",
	"organisation": "organisation", "organization": "organisation", "#org": "organisation", "#org+name": "organisation",
	"contact": "contact", "#contact": "contact",
	"capacity": "capacity", "#capacity": "capacity",
	"lon": "lon", "longitude": "lon", "#geo+lon": "lon",
	"lat": "lat", "latitude": "lat", "#geo+lat": "lat",
	"buffer_m": "buffer_m", "#geo+buffer": "buffer_m",
	"valid_from": "valid_from", "#date+start": "valid_from",
	"valid_to": "valid_to", "#date+end": "valid_to",
	"geometry": "geometry", "#geo+geojson": "geometry",
}

// hashtag normalises an HXL hashtag: lower case, attributes sorted.
func hashtag(s string) string {
	parts := strings.Split(strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", "")), "+")
	slices.Sort(parts[1:])
	return strings.Join(parts, "+")
}

func isHXLRow(rec []string) bool {
	tags := 0
	for _, c := range rec {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !strings.HasPrefix(c, "#") {
			return false
		}
		tags++
	}
	return tags > 0
}

func parseCSV(data []byte) ([]row, *ImportError) {
	e := &ImportError{Format: FormatCSV}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		e.Rows = append(e.Rows, RowError{1, "-", "No header row: " + csvErr(err)})
		return nil, e
	}
	col := map[string]int{}
	byName := func(rec []string, hxl bool) {
		for i, h := range rec {
			k := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(h), " ", "_"))
			if hxl {
				k = hashtag(h)
			}
			if f, ok := columns[k]; ok {
				col[f] = i
			}
		}
	}
	byName(header, isHXLRow(header))
	var rows []row
	first := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			e.Rows = append(e.Rows, RowError{line, "-", csvErr(err)})
			if len(e.Rows) > MaxImportRows {
				break
			}
			continue
		}
		if first && isHXLRow(rec) {
			first = false
			byName(rec, true)
			continue
		}
		first = false
		if len(rows) > MaxImportRows {
			break
		}
		if blank(rec) {
			continue
		}
		for _, need := range []string{"name", "category", "organisation", "valid_from"} {
			if _, ok := col[need]; !ok {
				e.Rows = append(e.Rows, RowError{1, need, "No such column (or HXL hashtag)."})
				return nil, e
			}
		}
		if _, ok := col["geometry"]; !ok {
			if _, ok := col["lon"]; !ok {
				e.Rows = append(e.Rows, RowError{1, "lon", "No lon and lat columns, nor geometry."})
				return nil, e
			}
		}
		f, bad := csvRow(rec, col, line)
		e.Rows = append(e.Rows, bad...)
		rows = append(rows, newRow(f, line, bad))
	}
	return rows, e
}

func csvErr(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// csvRow reads one row; a value that does not parse is reported and left
// zero.
func csvRow(rec []string, col map[string]int, line int) (SiteFields, []RowError) {
	var bad []RowError
	get := func(f string) string {
		if i, ok := col[f]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	fail := func(f, format string, args ...any) {
		bad = append(bad, RowError{line, f, fmt.Sprintf(format, args...)})
	}
	f := SiteFields{Name: get("name"), Category: category(get("category")), Organisation: get("organisation"), Contact: get("contact")}
	if v := get("capacity"); v != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(v, ",", ""))
		if err != nil {
			fail("capacity", "%q is not a whole number.", v)
		}
		f.Capacity = n
	}
	if v := get("buffer_m"); v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fail("buffer_m", "%q is not a number of metres.", v)
		}
		f.BufferM = x
	}
	var err error
	if f.ValidFrom, err = parseTime(get("valid_from")); err != nil {
		fail("valid_from", "%s", err.Error())
	}
	if v := get("valid_to"); v != "" {
		t, err := parseTime(v)
		if err != nil {
			fail("valid_to", "%s", err.Error())
		} else {
			f.ValidTo = &t
		}
	}
	if g := get("geometry"); g != "" {
		f.Geometry = json.RawMessage(g)
	} else {
		lon, errLon := coord(get("lon"), 180)
		lat, errLat := coord(get("lat"), 90)
		if errLon != nil {
			fail("lon", "%s", errLon.Error())
		}
		if errLat != nil {
			fail("lat", "%s", errLat.Error())
		}
		if errLon == nil && errLat == nil {
			f.Geometry = json.RawMessage(`{"type":"Point","coordinates":[` + strconv.FormatFloat(lon, 'f', -1, 64) + `,` + strconv.FormatFloat(lat, 'f', -1, 64) + `]}`)
		}
	}
	return f, bad
}

// coord reads a longitude or latitude in decimal degrees within ±max.
func coord(s string, max float64) (float64, error) {
	if s == "" {
		return 0, valueError("Missing: decimal degrees are required.")
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, valueError(fmt.Sprintf("%q is not a number of decimal degrees.", s))
	}
	if x < -max || x > max {
		return 0, valueError(fmt.Sprintf("%s is out of range (-%g to %g).", s, max, max))
	}
	return x, nil
}

// parseTime reads an RFC 3339 time or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, valueError("Missing: a date (2026-12-31) or an RFC 3339 time is required.")
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, valueError(fmt.Sprintf("%q is not a date (2026-12-31) or an RFC 3339 time.", s))
}

// valueError says what is wrong with a value, as a person reads it in
// the import's report (a sentence, not a Go error string).
type valueError string

func (e valueError) Error() string { return string(e) }

// category reads a category as spreadsheets write it: "IDP camp",
// "Health facility", "water-station".
func category(s string) Category {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "_", "-", "_").Replace(s)
	return Category(s)
}

func parseGeoJSON(data []byte) ([]row, *ImportError) {
	e := &ImportError{Format: FormatGeoJSON}
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil || fc.Type != "FeatureCollection" {
		msg := "Not a GeoJSON FeatureCollection."
		if err != nil {
			msg += " " + err.Error()
		}
		e.Rows = append(e.Rows, RowError{0, "-", msg})
		return nil, e
	}
	if len(fc.Features) > MaxImportRows {
		e.Rows = append(e.Rows, RowError{0, "-", fmt.Sprintf("At most %d features.", MaxImportRows)})
		return nil, e
	}
	var rows []row
	for i, raw := range fc.Features {
		n := i + 1
		var ft struct {
			Type       string          `json:"type"`
			Geometry   json.RawMessage `json:"geometry"`
			Properties map[string]any  `json:"properties"`
		}
		if err := json.Unmarshal(raw, &ft); err != nil || ft.Type != "Feature" {
			e.Rows = append(e.Rows, RowError{n, "-", "Not a GeoJSON Feature."})
			continue
		}
		rec, col := []string{}, map[string]int{}
		for k, v := range ft.Properties {
			f, ok := columns[strings.ToLower(k)]
			if !ok {
				continue
			}
			col[f] = len(rec)
			switch v := v.(type) {
			case string:
				rec = append(rec, v)
			case float64:
				rec = append(rec, strconv.FormatFloat(v, 'f', -1, 64))
			case nil:
				rec = append(rec, "")
			default:
				rec = append(rec, fmt.Sprint(v))
			}
		}
		if len(ft.Geometry) == 0 || string(ft.Geometry) == "null" {
			e.Rows = append(e.Rows, RowError{n, "geometry", "The feature has no geometry."})
			continue
		}
		col["geometry"] = len(rec)
		rec = append(rec, string(ft.Geometry))
		f, bad := csvRow(rec, col, n)
		e.Rows = append(e.Rows, bad...)
		rows = append(rows, newRow(f, n, bad))
	}
	return rows, e
}
