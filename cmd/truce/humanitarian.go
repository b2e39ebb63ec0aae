package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/partykey"
)

func init() {
	register("site", "notify, import, list and show humanitarian sites", runSite, "add", "import", "list", "show")
	register("inbox", "list the notifications awaiting your party's acknowledgement", runInbox)
	register("ack", "acknowledge a notification (receipt, not permission) or raise a concern", runAck)
	register("relay", "relay a notification, as the coordinator an agreement names, to every other party it names", runRelay)
	register("movement", "notify humanitarian movements (convoys), step them through their life, list and show them", runMovement, "add", "status", "list", "show")
	register("convoy", "report a convoy's positions, show where it is and the alerts its tracking raised, and issue its trackers' device tokens", runConvoy, "report", "show", "alerts", "tracker", "trackers", "revoke-tracker")
	register("humanitarian", "gather the proof of a site's or a movement's notifications and answers for an inquiry", runHumanitarian, "proof")
}

func runSite(ctx context.Context, args []string) error {
	var cf clientFlags
	sub, rest := args[0], args[1:]
	switch sub {
	case "add":
		fs := newFlags("site add", "site add --agreement ID --name N --category hospital --org O (--lat Y --lon X | --geometry F.geojson) --from T [--to T] [--buffer M] [--contact C] [--capacity N]")
		var c humanitarian.SiteCreate
		fs.StringVar(&c.AgreementID, "agreement", "", "agreement id")
		fs.StringVar(&c.Name, "name", "", "site name")
		cat := fs.String("category", "", strings.Join(categoryNames(), ", "))
		fs.StringVar(&c.Organisation, "org", "", "operating organisation")
		fs.StringVar(&c.Contact, "contact", "", "contact")
		fs.IntVar(&c.Capacity, "capacity", 0, "capacity (beds, pupils, people)")
		lat := fs.String("lat", "", "latitude, decimal degrees")
		lon := fs.String("lon", "", "longitude, decimal degrees")
		geom := fs.String("geometry", "", "GeoJSON file: a Point or Polygon geometry")
		fs.Float64Var(&c.BufferM, "buffer", 0, "buffer radius in metres")
		from := fs.String("from", "now", "valid from (RFC 3339 or now)")
		to := fs.String("to", "", "valid to (RFC 3339)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		c.Category = humanitarian.Category(*cat)
		if c.ValidFrom, err = parseTimeOr(*from, time.Time{}); err != nil {
			return err
		}
		if *to != "" {
			t, err := parseTimeOr(*to, time.Time{})
			if err != nil {
				return err
			}
			c.ValidTo = &t
		}
		switch {
		case *geom != "":
			b, err := os.ReadFile(*geom)
			if err != nil {
				return err
			}
			c.Geometry = b
		case *lat != "" && *lon != "":
			y, err1 := strconv.ParseFloat(*lat, 64)
			x, err2 := strconv.ParseFloat(*lon, 64)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("site add: --lat and --lon are decimal degrees")
			}
			c.Geometry = []byte(fmt.Sprintf(`{"type":"Point","coordinates":[%s,%s]}`, strconv.FormatFloat(x, 'f', -1, 64), strconv.FormatFloat(y, 'f', -1, 64)))
		default:
			return fmt.Errorf("site add: give --lat and --lon, or --geometry")
		}
		s, err := cl.NotifySite(ctx, c)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(s)
		}
		printNotified([]*humanitarian.Site{s})
		return nil
	case "import":
		fs := newFlags("site import", "site import --agreement ID FILE.csv|FILE.geojson|FILE.kml [--format csv|geojson|kml]")
		agreement := fs.String("agreement", "", "agreement id")
		format := fs.String("format", "", "csv, geojson or kml (default: from the file's extension)")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(pos[0])
		if err != nil {
			return err
		}
		if *format == "" {
			*format = "csv"
			switch ext := strings.ToLower(filepath.Ext(pos[0])); ext {
			case ".geojson", ".json":
				*format = "geojson"
			case ".kml":
				*format = "kml"
			}
		}
		ss, err := cl.ImportSites(ctx, api.SiteImport{AgreementID: *agreement, Format: *format, Data: string(data)})
		if err != nil {
			// The report of bad rows is one line per row: print it whole.
			var te *truce.Error
			if errors.As(err, &te) && strings.Contains(te.Message, "\n") {
				fmt.Fprintln(stderr, te.Message)
				return fmt.Errorf("site import: %s was refused; nothing was imported", pos[0])
			}
			return err
		}
		if cf.json {
			return printJSON(ss)
		}
		printNotified(ss)
		return nil
	case "list":
		fs := newFlags("site list", "site list [--agreement ID] [--party ID] [--cursor C] [--limit N]")
		var f humanitarian.SiteFilter
		fs.StringVar(&f.Agreement, "agreement", "", "agreement id")
		fs.StringVar(&f.Party, "party", "", "notifying party id")
		fs.StringVar(&f.Cursor, "cursor", "", "cursor from the previous page")
		fs.IntVar(&f.Limit, "limit", 0, "page size (1-500)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		ss, next, err := cl.ListSites(ctx, f)
		if err != nil {
			return err
		}
		return printList(cf.json, api.Page[*humanitarian.Site]{Items: ss, NextCursor: next}, ss, next, "ID\tVERSION\tSTATUS\tCATEGORY\tNAME\tP-CODES", func(s *humanitarian.Site) string {
			return fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%s", s.ID, s.Version, s.Status, s.Category, s.Name, strings.Join(s.PCodes, " "))
		})
	case "show":
		fs := newFlags("site show", "site show SITE_ID [--version N]")
		version := fs.Int64("version", 0, "version (default: the latest)")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		b, err := cl.SiteBoard(ctx, pos[0], *version)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(b)
		}
		s := b.Site
		fmt.Fprintf(stdout, "%s %q (%s) version %d, %s, notified %s%s\n", s.ID, s.Name, s.Category, s.Version, s.Status,
			s.NotifiedAt.Format(time.RFC3339), lateNote(s.Notice.Late))
		fmt.Fprintf(stdout, "Organisation %s; P-codes %s; hash %s\n", s.Organisation, strings.Join(s.PCodes, " "), s.Hash)
		printHazards(s.Hazards)
		printBoard(b.Rows)
		return nil
	}
	return fmt.Errorf("site: unknown sub-verb %q: use add, import, list or show", sub)
}

func categoryNames() []string {
	var out []string
	for _, c := range humanitarian.Categories {
		out = append(out, string(c))
	}
	return out
}

func lateNote(late bool) string {
	if late {
		return " (LATE: less notice than the agreement's lead time)"
	}
	return ""
}

func printNotified(ss []*humanitarian.Site) {
	late := 0
	for _, s := range ss {
		if s.Notice.Late {
			late++
		}
	}
	if len(ss) == 1 {
		s := ss[0]
		fmt.Fprintf(stdout, "Notified site %s %q version %d (P-codes %s)%s.\n", s.ID, s.Name, s.Version, strings.Join(s.PCodes, " "), lateNote(s.Notice.Late))
		printHazards(s.Hazards)
		return
	}
	hazards := 0
	for _, s := range ss {
		if len(s.Hazards) > 0 {
			hazards++
		}
	}
	fmt.Fprintf(stdout, "Notified %d sites (%d late, %d with hazards).\n", len(ss), late, hazards)
}

// printHazards prints a notification's hazards, one a line: notice, never
// a refusal.
func printHazards(hs []humanitarian.Hazard) {
	for _, h := range hs {
		fmt.Fprintf(stdout, "HAZARD: %s\n", h.Reason)
	}
}

func runInbox(ctx context.Context, args []string) error {
	var cf clientFlags
	fs := newFlags("inbox", "inbox [--party P] [--cursor C] [--limit N]")
	party := fs.String("party", "", "another party's inbox (administrators)")
	cursor := fs.String("cursor", "", "cursor from the previous page")
	limit := fs.Int("limit", 0, "page size (1-500)")
	cf.add(fs)
	_, cl, err := cf.parse(fs, args, 0)
	if err != nil {
		return err
	}
	ts, next, err := cl.Inbox(ctx, *party, *cursor, *limit)
	if err != nil {
		return err
	}
	return printList(cf.json, api.Page[*humanitarian.Transmission]{Items: ts, NextCursor: next}, ts, next, "TRANSMISSION\tKIND\tRECORD\tVERSION\tSENT\tDEADLINE\tLATE", func(t *humanitarian.Transmission) string {
		return fmt.Sprintf("%s\t%s\t%s\t%d\t%s\t%s\t%v", t.ID, t.Kind, t.RecordID, t.RecordVersion, t.SentAt.Format(time.RFC3339), t.Deadline.Format(time.RFC3339), t.Late)
	})
}

func runAck(ctx context.Context, args []string) error {
	var cf clientFlags
	fs := newFlags("ack", "ack TRANSMISSION_ID [--concern TEXT [--from T] [--to T]] [--key SKEY_FILE | --signature-file F]")
	concern := fs.String("concern", "", "raise a concern with this text instead of acknowledging")
	from := fs.String("from", "", "the concern's window start (RFC 3339)")
	to := fs.String("to", "", "the concern's window end (RFC 3339)")
	keyFile := fs.String("key", "", "your party's own key file: the notified version is read and hashed here, the statement checked against it and signed here; the server never sees the key")
	sigFile := fs.String("signature-file", "", "a signed note over the statement, made elsewhere")
	cf.add(fs)
	pos, cl, err := cf.parse(fs, args, 1)
	if err != nil {
		return err
	}
	in := humanitarian.AnswerInput{Concern: *concern != "", Text: *concern}
	for _, w := range []struct {
		s   string
		dst **time.Time
	}{{*from, &in.WindowFrom}, {*to, &in.WindowTo}} {
		if w.s != "" {
			t, err := parseTimeOr(w.s, time.Time{})
			if err != nil {
				return err
			}
			*w.dst = &t
		}
	}
	if (in.WindowFrom != nil || in.WindowTo != nil) && !in.Concern {
		return fmt.Errorf("ack: a window belongs to a concern (--concern TEXT)")
	}
	switch {
	case *keyFile != "":
		if *sigFile != "" {
			return fmt.Errorf("ack: give --key or --signature-file, not both")
		}
		k, err := partykey.Load(*keyFile)
		if err != nil {
			return err
		}
		// Read the notified version, hash it here and check the server's
		// statement line by line against it before signing: never blind.
		sg, err := partykey.CheckAnswerStatement(ctx, cl, k, pos[0], in)
		if err != nil {
			return fmt.Errorf("ack: %w", err)
		}
		fmt.Fprint(stderr, sg.Summary())
		if in.Signature, err = sg.Sign(k); err != nil {
			return err
		}
	case *sigFile != "":
		var err error
		if in.Signature, err = readBounded(*sigFile, truce.MaxSignatureLen); err != nil {
			return err
		}
	}
	res, err := cl.Answer(ctx, pos[0], in)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(res)
	}
	t := res.Transmission
	fmt.Fprintf(stdout, "Transmission %s (%s %s version %d): %s at %s%s — %s.\n", t.ID, t.Kind, t.RecordID, t.RecordVersion, t.State,
		t.Answer.At.Format(time.RFC3339), map[bool]string{true: ", after the deadline", false: ""}[t.Answer.Overdue], res.Note)
	return nil
}

func runRelay(ctx context.Context, args []string) error {
	var cf clientFlags
	fs := newFlags("relay", "relay TRANSMISSION_ID")
	cf.add(fs)
	pos, cl, err := cf.parse(fs, args, 1)
	if err != nil {
		return err
	}
	res, err := cl.Relay(ctx, pos[0])
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(res)
	}
	for _, t := range res.Items {
		fmt.Fprintf(stdout, "Relayed %s %s version %d to %s: transmission %s, due %s.\n", t.Kind, t.RecordID, t.RecordVersion, t.To, t.ID, t.Deadline.Format(time.RFC3339))
	}
	return nil
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

// convoyAlertKinds are the alerts convoy tracking raises.
var convoyAlertKinds = []truce.AlertKind{humanitarian.AlertConvoyDeviation, humanitarian.AlertConvoyStopped, humanitarian.AlertConvoySilent, humanitarian.AlertConvoyBehind, humanitarian.AlertConvoyZoneEntry}

func runConvoy(ctx context.Context, args []string) error {
	var cf clientFlags
	sub, rest := args[0], args[1:]
	switch sub {
	case "report":
		fs := newFlags("convoy report", "convoy report MOVEMENT --lon X --lat Y [--time RFC3339] [--speed KN] [--bearing DEG]")
		lon := fs.Float64("lon", math.NaN(), "longitude")
		lat := fs.Float64("lat", math.NaN(), "latitude")
		at := fs.String("time", "", "when the position was taken (RFC 3339; now when unset)")
		speed := fs.Float64("speed", math.NaN(), "speed, knots")
		bearing := fs.Float64("bearing", math.NaN(), "bearing, degrees")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		if math.IsNaN(*lon) || math.IsNaN(*lat) {
			return fmt.Errorf("convoy report: --lon and --lat are required")
		}
		p := humanitarian.ConvoyPosition{Lon: *lon, Lat: *lat}
		if *at != "" {
			if p.Time, err = time.Parse(time.RFC3339, *at); err != nil {
				return fmt.Errorf("convoy report: --time is an RFC 3339 time: %q", *at)
			}
		}
		if !math.IsNaN(*speed) {
			p.SpeedKn = speed
		}
		if !math.IsNaN(*bearing) {
			p.Bearing = bearing
		}
		res, err := cl.ReportPosition(ctx, pos[0], p)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(res)
		}
		where := "on its route"
		if !res.Inside {
			where = "OFF its route"
		}
		fmt.Fprintf(stdout, "Movement %s: %s, %.0f m from it.\n", res.Movement, where, res.DistanceM)
		if res.Alert != nil {
			fmt.Fprintf(stdout, "ALERT %s (%s): %s\n", res.Alert.ID, res.Alert.Kind, res.Alert.Summary)
		}
		return nil
	case "show":
		fs := newFlags("convoy show", "convoy show MOVEMENT")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		m, err := cl.FindMovement(ctx, pos[0])
		if err != nil {
			return err
		}
		p, err := cl.LastPosition(ctx, pos[0])
		if truce.ErrorCode(err) == truce.ENOTFOUND {
			p, err = nil, nil
		}
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(map[string]any{"movement": m, "position": p})
		}
		fmt.Fprintf(stdout, "Movement %s %q: %s; leaves by %s, arrives by %s.\n", m.ID, m.Name, m.Status,
			m.Departure.To.UTC().Format(time.RFC3339), m.Arrival.To.UTC().Format(time.RFC3339))
		if p == nil {
			fmt.Fprintln(stdout, "No position reported.")
			return nil
		}
		fmt.Fprintf(stdout, "Last position %.5f,%.5f at %s.\n", p.Lon, p.Lat, p.Time.UTC().Format(time.RFC3339))
		return nil
	case "alerts":
		fs := newFlags("convoy alerts", "convoy alerts [--movement ID] [--limit N]")
		movement := fs.String("movement", "", "only this movement's")
		limit := fs.Int("limit", 50, "alerts of each kind, newest first")
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		var all []*truce.Alert
		for _, k := range convoyAlertKinds {
			as, _, err := cl.ListAlerts(ctx, truce.AlertFilter{Kind: k, Limit: *limit})
			if err != nil {
				return err
			}
			for _, a := range as {
				if *movement == "" || strings.HasPrefix(a.Episode, *movement+"@") || strings.HasPrefix(a.Episode, *movement+"/") {
					all = append(all, a)
				}
			}
		}
		if cf.json {
			return printJSON(all)
		}
		table("ALERT\tKIND\tTIME\tSTATE\tSUMMARY", func(w *tabwriter.Writer) {
			for _, a := range all {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Kind, a.Time.UTC().Format(time.RFC3339), a.State, a.Summary)
			}
		})
		return nil
	case "tracker":
		fs := newFlags("convoy tracker", "convoy tracker MOVEMENT --name NAME [--expires RFC3339]")
		name := fs.String("name", "", "the vehicle or phone the tracker is on")
		expires := fs.String("expires", "", "end the token sooner than the movement's arrival window (RFC 3339)")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		in := humanitarian.DeviceIssue{Name: *name}
		if *expires != "" {
			e, err := time.Parse(time.RFC3339, *expires)
			if err != nil {
				return fmt.Errorf("convoy tracker: --expires is an RFC 3339 time: %q", *expires)
			}
			in.ExpiresAt = &e
		}
		d, err := cl.IssueDevice(ctx, pos[0], in)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(d)
		}
		fmt.Fprintf(stdout, "Tracker %s for movement %s, until %s. Its token, shown once:\n%s\n", d.Device.ID, d.Device.MovementID,
			d.Device.ExpiresAt.UTC().Format(time.RFC3339), d.Token)
		// OsmAnd's online tracking URL template: {0} latitude, {1}
		// longitude, {2} time, {6} bearing.
		fmt.Fprintf(stdout, "OsmAnd online tracking URL:\n%s/api/v1/convoys/tracker?id=%s&lat={0}&lon={1}&timestamp={2}&bearing={6}\n",
			strings.TrimRight(cf.url, "/"), d.Token)
		return nil
	case "trackers":
		fs := newFlags("convoy trackers", "convoy trackers MOVEMENT")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		ds, err := cl.Devices(ctx, pos[0])
		if err != nil {
			return err
		}
		return printList(cf.json, ds, ds, "", "TRACKER\tNAME\tEXPIRES\tREVOKED", func(d *humanitarian.ConvoyDevice) string {
			revoked := "-"
			if d.RevokedAt != nil {
				revoked = d.RevokedAt.UTC().Format(time.RFC3339)
			}
			return fmt.Sprintf("%s\t%s\t%s\t%s", d.ID, d.Name, d.ExpiresAt.UTC().Format(time.RFC3339), revoked)
		})
	case "revoke-tracker":
		fs := newFlags("convoy revoke-tracker", "convoy revoke-tracker MOVEMENT TRACKER")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 2)
		if err != nil {
			return err
		}
		d, err := cl.RevokeDevice(ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(d)
		}
		fmt.Fprintf(stdout, "Tracker %s revoked at %s: its positions are refused from now on.\n", d.ID, d.RevokedAt.UTC().Format(time.RFC3339))
		return nil
	}
	return fmt.Errorf("convoy: unknown sub-verb %q: use report, show, alerts, tracker, trackers or revoke-tracker", sub)

}

func runHumanitarian(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "proof" {
		return fmt.Errorf("humanitarian: want a sub-verb: proof")
	}
	fs := newFlags("humanitarian proof", "humanitarian proof SITE_OR_MOVEMENT_ID -o FILE")
	var cf clientFlags
	cf.add(fs)
	out := fs.String("o", "", "write the proof to FILE (required)")
	pos, c, err := cf.parse(fs, args[1:], 1)
	if err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("humanitarian proof: -o FILE is required")
	}
	p, err := gatherProof(ctx, c, pos[0])
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	kind, id := p.Kind()
	fmt.Fprintf(stdout, "Wrote the proof of %s %s (%d records) to %s\nCheck it offline: truce log verify-proof %s --key VKEY\n", kind, id, len(p.Records), *out, *out)
	return nil
}

// gatherProof asks the server for the record proofs of a site or a
// movement (whichever id names) and of every transmission of every
// version of it.
func gatherProof(ctx context.Context, c *api.Client, id string) (*humanitarian.Proof, error) {
	proofs := func(ctx context.Context, kind, subject string) (*truce.RecordProofs, error) {
		return recordProofs(ctx, c, kind, subject)
	}
	site, err := c.FindSite(ctx, id)
	if err == nil {
		return humanitarian.GatherProof(ctx, humanitarian.ProofSource{RecordProofs: proofs, Board: func(ctx context.Context, v int64) ([]humanitarian.BoardRow, error) {
			b, err := c.SiteBoard(ctx, site.ID, v)
			if err != nil {
				return nil, err
			}
			return b.Rows, nil
		}}, humanitarian.KindSite, site.ID, site.Version)
	}
	if truce.ErrorCode(err) != truce.ENOTFOUND {
		return nil, err
	}
	m, err := c.FindMovement(ctx, id)
	if err != nil {
		if truce.ErrorCode(err) == truce.ENOTFOUND {
			return nil, fmt.Errorf("humanitarian proof: %s is neither a site nor a movement", id)
		}
		return nil, err
	}
	return humanitarian.GatherProof(ctx, humanitarian.ProofSource{RecordProofs: proofs, Board: func(ctx context.Context, v int64) ([]humanitarian.BoardRow, error) {
		b, err := c.MovementBoard(ctx, m.ID, v)
		if err != nil {
			return nil, err
		}
		return b.Rows, nil
	}}, humanitarian.KindMovement, m.ID, m.Version)
}

// recordProofs asks for a record's proofs, waiting (a few seconds at
// most) for a change of the last second to be in a signed checkpoint.
func recordProofs(ctx context.Context, c *api.Client, kind, subject string) (*truce.RecordProofs, error) {
	for attempt := 0; ; attempt++ {
		ps, err := c.RecordProofs(ctx, kind, subject)
		if truce.ErrorCode(err) != truce.EUNAVAILABLE || attempt == 4 {
			return ps, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// isNotificationProof reports whether a file is a site's or a movement's
// proof.
func isNotificationProof(data []byte) bool {
	var p humanitarian.Proof
	if json.Unmarshal(data, &p) != nil {
		return false
	}
	kind, _ := p.Kind()
	return kind != ""
}

// PartyNotice is what a site's proof shows of one transmission.
type PartyNotice struct {
	Party      string     `json:"party"`
	Version    int64      `json:"version"`
	NotifiedAt time.Time  `json:"notified_at"`
	Entry      int64      `json:"entry"`
	Answer     string     `json:"answer"` // acknowledged, concern, none
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	AnswerAt   int64      `json:"answer_entry,omitempty"`
	Key        string     `json:"key,omitempty"` // the verifier key's name+hash
	Concern    string     `json:"concern,omitempty"`
}

// verifyNotificationProof checks every bundle of a site's or a
// movement's proof as verify-proof checks one (inclusion, labels, chain,
// bodies, party signatures with the keys the journal recorded), then that
// every transmission is of this record, of a version the proof holds,
// naming that version's hash; and says per party what it proved.
func verifyNotificationProof(data []byte, policy ledger.Policy) (string, string, []VerifiedRecord, []PartyNotice, error) {
	var p humanitarian.Proof
	if err := json.Unmarshal(data, &p); err != nil {
		return "", "", nil, nil, err
	}
	kind, id := p.Kind()
	if len(p.Records) == 0 || p.Records[0] == nil || p.Records[0].Kind != kind || p.Records[0].Subject != id || id == "" {
		return kind, id, nil, nil, fmt.Errorf("label mismatch: the proof of %s %q does not start with that %s's record", kind, id, kind)
	}
	var all []VerifiedRecord
	hashes := map[int64]string{} // the record's versions' hashes
	var notices []PartyNotice
	for i, rp := range p.Records {
		raw, err := json.Marshal(rp)
		if err != nil {
			return kind, id, nil, nil, err
		}
		vs, err := verifyProofFile(raw, policy)
		if err != nil {
			return kind, id, nil, nil, fmt.Errorf("record %d (%s %s): %w", i+1, rp.Kind, rp.Subject, err)
		}
		all = append(all, vs...)
		bodies := make([][]byte, len(rp.Proofs))
		for j, pr := range rp.Proofs {
			var r ledger.RecordProof
			json.Unmarshal(pr, &r) // verified above
			if vs[j].BodyVerified {
				bodies[j] = r.Body
			}
		}
		if i == 0 {
			for j, b := range bodies {
				var v struct {
					Version int64  `json:"version"`
					Hash    string `json:"hash"`
				}
				if b == nil || json.Unmarshal(b, &v) != nil {
					return kind, id, nil, nil, fmt.Errorf("entry %d of %s %s: the proof holds no readable body", vs[j].Index, kind, id)
				}
				hashes[v.Version] = v.Hash
			}
			continue
		}
		if rp.Kind != "transmission" {
			return kind, id, nil, nil, fmt.Errorf("label mismatch: record %d of a %s's proof is a %s", i+1, kind, rp.Kind)
		}
		n, err := transmissionNotice(kind, id, hashes, rp, vs, bodies, policy)
		if err != nil {
			return kind, id, nil, nil, fmt.Errorf("record %d (transmission %s): %w", i+1, rp.Subject, err)
		}
		notices = append(notices, n)
	}
	sort.SliceStable(notices, func(i, j int) bool { return notices[i].Version < notices[j].Version })
	return kind, id, all, notices, nil
}

func transmissionNotice(kind, record string, hashes map[int64]string, rp *truce.RecordProofs, vs []VerifiedRecord, bodies [][]byte, policy ledger.Policy) (PartyNotice, error) {
	var first, last humanitarian.Transmission
	if bodies[0] == nil || json.Unmarshal(bodies[0], &first) != nil || json.Unmarshal(bodies[len(bodies)-1], &last) != nil {
		return PartyNotice{}, errors.New("the proof holds no readable body")
	}
	if first.Kind != kind || first.RecordID != record || last.RecordID != record || last.Kind != kind {
		return PartyNotice{}, fmt.Errorf("label mismatch: it is a transmission of %s %s", first.Kind, first.RecordID)
	}
	if h, ok := hashes[first.RecordVersion]; !ok || h != first.Hash || last.Hash != first.Hash {
		return PartyNotice{}, fmt.Errorf("label mismatch: it names version %d with hash %s, which is not the %s's", first.RecordVersion, first.Hash, kind)
	}
	n := PartyNotice{Party: first.To, Version: first.RecordVersion, NotifiedAt: vs[0].Entry.Time, Entry: vs[0].Index, Answer: "none"}
	if last.Answer == nil {
		return n, nil
	}
	at := vs[len(vs)-1]
	n.Answer, n.AnsweredAt, n.AnswerAt = string(last.State), &at.Entry.Time, at.Index
	if last.Answer.Concern {
		n.Concern = last.Answer.Text
	}
	// The key that verified the answer (verifyProofFile checked it with
	// the party's journalled key at the time): its name and hash.
	keys := &truce.PartyKeys{}
	for _, pk := range rp.PartyKeys {
		v, body, err := verifyOne(pk, policy)
		if err != nil || body == nil {
			continue
		}
		keys.Add(v.Index, v.Entry, body)
	}
	if k, _, ok := keys.KeyAt(last.To, at.Index); ok {
		parts := strings.SplitN(k, "+", 3)
		n.Key = strings.Join(parts[:min(2, len(parts))], "+")
	}
	if n.Key == "" {
		return n, errors.New("the proof carries no journalled key of the answering party")
	}
	return n, nil
}

// printNotificationProof prints what a verified proof shows, per party.
func printNotificationProof(kind, id string, vs []VerifiedRecord, ns []PartyNotice) {
	fmt.Fprintf(stdout, "Verified: the proof of %s %s (%d journal entries, every one in the signed log).\n", kind, id, len(vs))
	for _, n := range ns {
		fmt.Fprintf(stdout, "  party %s: version %d notified at %s (entry %d); ", n.Party, n.Version, n.NotifiedAt.UTC().Format(time.RFC3339), n.Entry)
		switch n.Answer {
		case "none":
			fmt.Fprintln(stdout, "no acknowledgement")
		case string(humanitarian.Concern):
			fmt.Fprintf(stdout, "concern raised at %s with key %s (entry %d): %q\n", n.AnsweredAt.UTC().Format(time.RFC3339), n.Key, n.AnswerAt, n.Concern)
		default:
			fmt.Fprintf(stdout, "acknowledged at %s with key %s (entry %d)\n", n.AnsweredAt.UTC().Format(time.RFC3339), n.Key, n.AnswerAt)
		}
	}
	fmt.Fprintf(stdout, "An acknowledgement records %s.\n", humanitarian.ReceiptNotPermission)
}

// runVerifyNotificationProof is `truce log verify-proof` of a site's or a
// movement's proof.
func runVerifyNotificationProof(name string, data []byte, policy ledger.Policy, asJSON bool) error {
	kind, id, vs, ns, err := verifyNotificationProof(data, policy)
	if err != nil {
		return fmt.Errorf("%s does NOT verify: %w", name, err)
	}
	if asJSON {
		out := struct {
			Site     string           `json:"site,omitempty"`
			Movement string           `json:"movement,omitempty"`
			Records  []VerifiedRecord `json:"records"`
			Parties  []PartyNotice    `json:"parties"`
		}{Records: vs, Parties: ns}
		if kind == humanitarian.KindSite {
			out.Site = id
		} else {
			out.Movement = id
		}
		return printJSON(out)
	}
	printNotificationProof(kind, id, vs, ns)
	return nil
}
