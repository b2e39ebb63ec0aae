package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/partykey"
)

func init() {
	register("site", "notify, import, list and show humanitarian sites", runSite, "add", "import", "list", "show")
	register("inbox", "list the notifications awaiting your party's acknowledgement", runInbox)
	register("ack", "acknowledge a notification (receipt, not permission) or raise a concern", runAck)
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
		b, err := os.ReadFile(*sigFile)
		if err != nil {
			return err
		}
		in.Signature = string(b)
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
