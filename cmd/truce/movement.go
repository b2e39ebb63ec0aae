package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
)

func init() {
	register("movement", "notify humanitarian movements (convoys), step them through their life, list and show them", runMovement, "add", "status", "list", "show")
}

// movementFlags are the flags of a movement's fields, shared by add and
// by status notified (a postponed movement notified again).
type movementFlags struct {
	name, org, route, waypoints, crossings, departure, arrival, vehicles, cargo, contacts, kind *string
	corridor                                                                                    *float64
	personnel                                                                                   *int
	emergency                                                                                   *bool
}

func addMovementFlags(fs interface {
	String(string, string, string) *string
	Float64(string, float64, string) *float64
	Int(string, int, string) *int
	Bool(string, bool, string) *bool
}) *movementFlags {
	return &movementFlags{
		name:      fs.String("name", "", "movement name"),
		org:       fs.String("org", "", "organisation"),
		route:     fs.String("route", "", "route file: GeoJSON (a LineString, or a Feature of one), GPX (one track or route) or KML (one LineString)"),
		waypoints: fs.String("waypoints", "", "the route as waypoints: lon,lat;lon,lat;…"),
		crossings: fs.String("crossings", "", "crossing points, comma-separated"),
		departure: fs.String("departure", "", "departure window: FROM/TO (RFC 3339)"),
		arrival:   fs.String("arrival", "", "arrival window: FROM/TO (RFC 3339)"),
		vehicles:  fs.String("vehicles", "", "vehicle groups: COUNTxTYPE[,COUNTxTYPE…], e.g. 6xtruck,1xambulance"),
		cargo:     fs.String("cargo", "", "cargo"),
		contacts:  fs.String("contacts", "", "contacts"),
		corridor:  fs.Float64("corridor", 0, "half-width of the corridor, metres"),
		personnel: fs.Int("personnel", 0, "personnel count"),
		emergency: fs.Bool("emergency", false, "an emergency movement (the agreement's emergency lead time)"),
		kind:      fs.String("kind", "", "road_convoy (default), medical_evacuation, staff_movement, air or other"),
	}
}

func parseWindow(flag, s string) (humanitarian.Window, error) {
	from, to, ok := strings.Cut(s, "/")
	if !ok {
		return humanitarian.Window{}, fmt.Errorf("--%s is FROM/TO, two RFC 3339 times", flag)
	}
	var w humanitarian.Window
	var err error
	if w.From, err = parseTimeOr(from, time.Time{}); err != nil {
		return w, err
	}
	if w.To, err = parseTimeOr(to, time.Time{}); err != nil {
		return w, err
	}
	return w, nil
}

// routeFile reads a route from a GeoJSON file: a LineString geometry, or
// a Feature or FeatureCollection holding exactly one; or from a GPX file
// (its one track or route) or a KML file (its one LineString), as GPS
// units and GIS tools export them.
func routeFile(path string) (json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".gpx", ".kml":
		return humanitarian.ParseRoute(ext[1:], b)
	}
	var probe struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
		Features []struct {
			Geometry json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s is not GeoJSON: %v", path, err)
	}
	switch probe.Type {
	case "Feature":
		return probe.Geometry, nil
	case "FeatureCollection":
		if len(probe.Features) != 1 {
			return nil, fmt.Errorf("%s holds %d features: a route is one LineString", path, len(probe.Features))
		}
		return probe.Features[0].Geometry, nil
	}
	return b, nil
}

// waypointRoute turns "lon,lat;lon,lat;…" into a GeoJSON LineString.
func waypointRoute(s string) (json.RawMessage, error) {
	var coords [][2]float64
	for _, p := range strings.Split(s, ";") {
		x, y, ok := strings.Cut(strings.TrimSpace(p), ",")
		lon, err1 := strconv.ParseFloat(strings.TrimSpace(x), 64)
		lat, err2 := strconv.ParseFloat(strings.TrimSpace(y), 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("--waypoints: %q is not lon,lat", p)
		}
		coords = append(coords, [2]float64{lon, lat})
	}
	return json.Marshal(map[string]any{"type": "LineString", "coordinates": coords})
}

func (f *movementFlags) fields() (humanitarian.MovementFields, error) {
	m := humanitarian.MovementFields{Name: *f.name, Organisation: *f.org, CorridorM: *f.corridor, Cargo: *f.cargo,
		Contacts: *f.contacts, Personnel: *f.personnel, Emergency: *f.emergency, Kind: humanitarian.MovementKind(*f.kind)}
	var err error
	switch {
	case *f.route != "" && *f.waypoints != "":
		return m, fmt.Errorf("give --route or --waypoints, not both")
	case *f.route != "":
		if m.Route, err = routeFile(*f.route); err != nil {
			return m, err
		}
	case *f.waypoints != "":
		if m.Route, err = waypointRoute(*f.waypoints); err != nil {
			return m, err
		}
	default:
		return m, fmt.Errorf("give the route: --route FILE.geojson or --waypoints lon,lat;lon,lat")
	}
	if m.Departure, err = parseWindow("departure", *f.departure); err != nil {
		return m, err
	}
	if m.Arrival, err = parseWindow("arrival", *f.arrival); err != nil {
		return m, err
	}
	m.Crossings = splitList(*f.crossings)
	for _, g := range splitList(*f.vehicles) {
		n, typ, ok := strings.Cut(g, "x")
		count, err := strconv.Atoi(n)
		if !ok || err != nil || typ == "" {
			return m, fmt.Errorf("--vehicles: %q is not COUNTxTYPE (like 6xtruck)", g)
		}
		m.Vehicles = append(m.Vehicles, humanitarian.Vehicle{Count: count, Type: typ})
	}
	return m, nil
}

func runMovement(ctx context.Context, args []string) error {
	var cf clientFlags
	sub, rest := args[0], args[1:]
	switch sub {
	case "add":
		fs := newFlags("movement add", "movement add --agreement ID --name N --org O (--route F.geojson | --waypoints lon,lat;lon,lat) --departure FROM/TO --arrival FROM/TO --vehicles 6xtruck [--corridor M] [--crossings A,B] [--personnel N] [--cargo C] [--contacts C] [--emergency] [--notify]")
		agreement := fs.String("agreement", "", "agreement id")
		notify := fs.Bool("notify", false, "notify it at once (otherwise a draft)")
		mf := addMovementFlags(fs)
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		f, err := mf.fields()
		if err != nil {
			return fmt.Errorf("movement add: %w", err)
		}
		m, err := cl.CreateMovement(ctx, humanitarian.MovementCreate{AgreementID: *agreement, MovementFields: f, Notify: *notify})
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(m)
		}
		printMovement(m)
		return nil
	case "status":
		fs := newFlags("movement status", "movement status MOVEMENT_ID notified|under_way|arrived|aborted|postponed [fields of a movement notified again: --departure FROM/TO --arrival FROM/TO …]")
		mf := addMovementFlags(fs)
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 2)
		if err != nil {
			return err
		}
		step := humanitarian.MovementStep{Status: humanitarian.MovementStatus(pos[1])}
		if *mf.departure != "" || *mf.arrival != "" || *mf.route != "" || *mf.waypoints != "" {
			// Notified again with new fields: what is not given is kept.
			cur, err := cl.FindMovement(ctx, pos[0])
			if err != nil {
				return err
			}
			f, err := mergeMovement(cur.MovementFields, mf)
			if err != nil {
				return fmt.Errorf("movement status: %w", err)
			}
			step.Fields = &f
		}
		m, err := cl.MoveMovement(ctx, pos[0], step)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(m)
		}
		printMovement(m)
		return nil
	case "list":
		fs := newFlags("movement list", "movement list [--agreement ID] [--status S] [--cursor C] [--limit N]")
		var f humanitarian.MovementFilter
		fs.StringVar(&f.Agreement, "agreement", "", "agreement id")
		status := fs.String("status", "", "draft, notified, under_way, arrived, aborted or postponed")
		fs.StringVar(&f.Cursor, "cursor", "", "cursor from the previous page")
		fs.IntVar(&f.Limit, "limit", 0, "page size (1-500)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		f.Status = humanitarian.MovementStatus(*status)
		ms, next, err := cl.ListMovements(ctx, f)
		if err != nil {
			return err
		}
		return printList(cf.json, api.Page[*humanitarian.Movement]{Items: ms, NextCursor: next}, ms, next, "ID\tVERSION\tSTATUS\tDEPARTURE\tNAME\tP-CODES", func(m *humanitarian.Movement) string {
			return fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%s", m.ID, m.Version, m.Status, m.Departure.From.Format(time.RFC3339), m.Name, strings.Join(m.PCodes, " "))
		})
	case "show":
		fs := newFlags("movement show", "movement show MOVEMENT_ID [--version N]")
		version := fs.Int64("version", 0, "notified version (default: the latest notified)")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		m, err := cl.FindMovement(ctx, pos[0])
		if err != nil {
			return err
		}
		if m.Notified == 0 && *version == 0 {
			if cf.json {
				return printJSON(m)
			}
			printMovement(m)
			return nil
		}
		b, err := cl.MovementBoard(ctx, pos[0], *version)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(b)
		}
		printMovement(m)
		fmt.Fprintf(stdout, "Notification: version %d, hash %s\n", b.Movement.Version, b.Movement.Hash)
		printBoard(b.Rows)
		return nil
	}
	return fmt.Errorf("movement: unknown sub-verb %q: use add, status, list or show", sub)
}

// mergeMovement overlays the flags given on a movement's current fields.
func mergeMovement(cur humanitarian.MovementFields, mf *movementFlags) (humanitarian.MovementFields, error) {
	var err error
	if *mf.departure != "" {
		if cur.Departure, err = parseWindow("departure", *mf.departure); err != nil {
			return cur, err
		}
	}
	if *mf.arrival != "" {
		if cur.Arrival, err = parseWindow("arrival", *mf.arrival); err != nil {
			return cur, err
		}
	}
	switch {
	case *mf.route != "":
		cur.Route, err = routeFile(*mf.route)
	case *mf.waypoints != "":
		cur.Route, err = waypointRoute(*mf.waypoints)
	}
	return cur, err
}

func printMovement(m *humanitarian.Movement) {
	fmt.Fprintf(stdout, "Movement %s %q version %d: %s", m.ID, m.Name, m.Version, m.Status)
	if m.Emergency {
		fmt.Fprint(stdout, " (emergency)")
	}
	fmt.Fprintf(stdout, "%s.\n", lateNote(m.Late && m.Status == humanitarian.MovementNotified))
	fmt.Fprintf(stdout, "Organisation %s; departure %s – %s; arrival %s – %s; P-codes %s\n", m.Organisation,
		m.Departure.From.Format(time.RFC3339), m.Departure.To.Format(time.RFC3339), m.Arrival.From.Format(time.RFC3339), m.Arrival.To.Format(time.RFC3339), strings.Join(m.PCodes, " "))
	printHazards(m.Hazards)
}

// printBoard prints a notification's board: who acknowledged, who raised
// a concern, who is silent.
func printBoard(rows []humanitarian.BoardRow) {
	table("PARTY\tSTATE\tDEADLINE\tANSWERED\tCONCERN", func(w *tabwriter.Writer) {
		for _, r := range rows {
			at, text := "-", ""
			if a := r.Transmission.Answer; a != nil {
				at, text = a.At.Format(time.RFC3339), a.Text
			}
			state := r.State
			if r.Overdue {
				state += " (overdue)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Slug, state, r.Transmission.Deadline.Format(time.RFC3339), at, text)
		}
	})
	for _, r := range rows {
		for _, n := range r.Notices {
			fmt.Fprintf(stdout, "  %s %s: %s\n", n.At.Format(time.RFC3339), n.Kind, n.Reason)
		}
	}
	fmt.Fprintf(stdout, "An acknowledgement records %s.\n", humanitarian.ReceiptNotPermission)
}
