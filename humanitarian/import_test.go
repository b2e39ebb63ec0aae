package humanitarian_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

const hxlCSV = `Site name,Type,Organisation,Contact,Capacity,Latitude,Longitude,Buffer (m),Valid from,Valid to
#loc+name,#loc+type,#org,#contact,#capacity,#geo+lat,#geo+lon,#geo+buffer,#date+start,#date+end
Dar'a field hospital,Hospital,SARC,+963 15 000000,"1,200",32.61889,36.10213,300,2030-01-01,
Izra' school,School,SARC,,400,32.86709,36.25072,100,2030-01-01,2030-06-30
Khan Arnabah warehouse,warehouse,ICRC,,,33.18378,35.89158,,2030-01-01T08:00:00Z,
`

// TestParseSites_CSV reads the same sites from CSV with an HXL hashtag row
// (whose columns are found by hashtag, whatever the header says) and from
// plain CSV and GeoJSON.
func TestParseSites_CSV(t *testing.T) {
	fs, err := humanitarian.ParseSites("csv", []byte(hxlCSV))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 3 || fs[0].Capacity != 1200 || fs[0].BufferM != 300 || fs[1].ValidTo == nil || fs[2].Category != humanitarian.Warehouse {
		t.Fatalf("parsed %+v", fs)
	}
	if string(fs[0].Geometry) != `{"type":"Point","coordinates":[36.10213,32.61889]}` {
		t.Errorf("geometry %s (lon, lat swapped?)", fs[0].Geometry)
	}
	plain := "name,category,organisation,lat,lon,valid_from\nClinic,health facility,SARC,32.99125,36.06093,2030-01-01\n"
	fs, err = humanitarian.ParseSites("csv", []byte(plain))
	if err != nil || len(fs) != 1 || fs[0].Category != humanitarian.HealthFacility {
		t.Fatalf("plain CSV: %+v, %v", fs, err)
	}
	gj := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"Camp","category":"IDP camp","organisation":"SARC","capacity":5000,"valid_from":"2030-01-01"},
 "geometry":{"type":"Polygon","coordinates":[[[36.0,32.7],[36.01,32.7],[36.01,32.71],[36.0,32.71],[36.0,32.7]]]}}]}`
	fs, err = humanitarian.ParseSites("geojson", []byte(gj))
	if err != nil || len(fs) != 1 || fs[0].Capacity != 5000 || fs[0].Category != humanitarian.IDPCamp {
		t.Fatalf("GeoJSON: %+v, %v", fs, err)
	}
}

// TestParseSites_EveryBadRow checks that a file with bad rows is refused
// with each bad value by line and column, not only the first.
func TestParseSites_EveryBadRow(t *testing.T) {
	bad := `name,category,organisation,lat,lon,valid_from,valid_to
Good,school,SARC,32.8,36.2,2030-01-01,
Far,school,SARC,132.8,36.2,2030-01-01,
Bunker,bunker,SARC,32.8,36.2,2030-01-01,
Backwards,school,SARC,32.7,36.2,2030-01-02,2030-01-01
Good,school,SARC,32.8,36.2,2030-01-01,
Undated,school,SARC,32.6,36.3,someday,
`
	_, err := humanitarian.ParseSites("csv", []byte(bad))
	var ie *humanitarian.ImportError
	if !errors.As(err, &ie) || truce.ErrorCode(err) != truce.EINVALID {
		t.Fatalf("error %v, want an EINVALID ImportError", err)
	}
	var got []string
	for _, r := range ie.Rows {
		got = append(got, fmt.Sprintf("%d:%s", r.Line, r.Column))
	}
	want := []string{"3:lat", "4:category", "5:valid_to", "6:name", "7:valid_from"}
	if !slices.Equal(got, want) {
		t.Errorf("bad values %v, want %v", got, want)
	}
	msg := truce.ErrorMessage(err)
	if !strings.Contains(msg, "line 3, lat") || !strings.Contains(msg, "Duplicate of line 2") || !strings.HasPrefix(msg, "Nothing was imported: 5 bad") {
		t.Errorf("message:\n%s", msg)
	}

	_, err = humanitarian.ParseSites("geojson", []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"A","category":"school","organisation":"SARC","valid_from":"2030-01-01"},"geometry":{"type":"LineString","coordinates":[[36,32],[36.1,32.1]]}},
{"type":"Feature","properties":{"name":"B","category":"school","organisation":"SARC","valid_from":"2030-01-01"},"geometry":null}]}`))
	if !errors.As(err, &ie) || len(ie.Rows) != 2 || ie.Rows[0].Line != 1 || ie.Rows[0].Column != "geometry" || ie.Rows[1].Line != 2 {
		t.Errorf("GeoJSON errors: %v", err)
	}
	_, err = humanitarian.ParseSites("csv", []byte("name,lat,lon\nx,1,2\n"))
	if !errors.As(err, &ie) || ie.Rows[0].Line != 1 || ie.Rows[0].Column != "category" {
		t.Errorf("missing column: %v", err)
	}
}

// TestService_Import imports all or none: a file with one bad row records
// nothing; the good file records every site and its transmissions.
func TestService_Import(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			before := w.journalSize(t)
			_, err := w.svc.Import(w.sarc, w.ag.ID, "csv", []byte(hxlCSV+"Bad row,school,SARC,,,91,36,,2030-01-01,\n"))
			wantCode(t, "file with a bad row", err, truce.EINVALID)
			if w.journalSize(t) != before {
				t.Fatal("a refused import journalled entries")
			}
			sites := must[[]*humanitarian.Site](t)(w.svc.Import(w.sarc, w.ag.ID, "csv", []byte(hxlCSV)))
			if len(sites) != 3 || sites[2].PCodes[0] != "SY14" {
				t.Fatalf("imported %d sites; pcodes of the third %v", len(sites), sites[len(sites)-1].PCodes)
			}
			if got := w.journalSize(t) - before; got != 3*4 {
				t.Errorf("journal grew by %d, want 12 (3 sites, 9 transmissions)", got)
			}
			in, _, _ := w.svc.Inbox(w.gb, "", "", 0)
			if len(in) != 3 {
				t.Errorf("gb's inbox holds %d", len(in))
			}
		})
	}
}

// BenchmarkImport imports 10,000 sites notified to 7 parties (70,000
// transmissions, 80,000 journal entries) end to end on SQLite: parsing,
// checks, P-codes, the write. It reports sites/s.
func BenchmarkImport(b *testing.B) {
	var csv strings.Builder
	csv.WriteString("name,category,organisation,lat,lon,buffer_m,valid_from\n")
	for i := range 10_000 {
		fmt.Fprintf(&csv, "Site %d,%s,SARC,%.5f,%.5f,200,2030-01-01\n", i, humanitarian.Categories[i%len(humanitarian.Categories)],
			32.5+float64(i%100)*0.008, 35.9+float64(i/100)*0.006)
	}
	data := []byte(csv.String())
	for b.Loop() {
		b.StopTimer()
		st := openers["SQLite"](b)
		w := newWorldN(b, st, 7)
		b.StartTimer()
		start, cpu := time.Now(), cpuTime()
		sites, err := w.svc.Import(w.sarc, w.ag.ID, "csv", data)
		if err != nil {
			b.Fatal(err)
		}
		el, cpuEl := time.Since(start), cpuTime()-cpu
		b.ReportMetric(float64(len(sites))/el.Seconds(), "sites/s")
		// On a machine shared with other work the wall clock measures the
		// load; the process's CPU time measures the import.
		b.ReportMetric(float64(len(sites))/cpuEl.Seconds(), "sites/cpu-s")
		b.StopTimer()
		if n, _ := st.JournalSize(context.Background()); n < 80_000 {
			b.Fatalf("journal holds %d entries", n)
		}
		b.StartTimer()
	}
}

// BenchmarkInbox reads the first page of a party's inbox holding 10,000
// pending transmissions (10,000 sites notified to 7 parties), as the
// service does for the API.
func BenchmarkInbox(b *testing.B) {
	var csv strings.Builder
	csv.WriteString("name,category,organisation,lat,lon,valid_from\n")
	for i := range 10_000 {
		fmt.Fprintf(&csv, "Site %d,school,SARC,%.5f,%.5f,2030-01-01\n", i, 32.5+float64(i%100)*0.008, 35.9+float64(i/100)*0.006)
	}
	w := newWorldN(b, openers["SQLite"](b), 7)
	if _, err := w.svc.Import(w.sarc, w.ag.ID, "csv", []byte(csv.String())); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ts, next, err := w.svc.Inbox(w.gb, "", "", 0)
		if err != nil || len(ts) != 100 || next == "" {
			b.Fatalf("%d, %q, %v", len(ts), next, err)
		}
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
