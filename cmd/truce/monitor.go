package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/partykey"
)

func init() {
	register("replay", "replay a recorded track file (SBS, readsb trace, traffic JSON) into a server", runReplay)
	register("alerts", "list alerts, or follow them live (--follow); ack and close them", runAlerts)
	register("alert", "acknowledge an alert for your party (ack ID [--key FILE]) or close it (close ID); as alerts", runAlerts)
	register("feed", "add, list and remove SBS-1 feeds the server connects to", runFeed, "add", "list", "remove")
	register("aircraft", "register aircraft and fleets to a party (the attribution registry)", runAircraft, "add", "list", "remove")
	register("tracks", "list live tracks", runTracks)
}

// ReadRecorded reads positions from a file: a readsb trace or traffic JSON
// (plain or gzip), or SBS-1 text.
func readRecorded(path string) ([]feed.Position, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data := raw
	if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if data, err = io.ReadAll(io.LimitReader(zr, feed.MaxRecordedBytes)); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		read := feed.ReadTraffic
		if bytes.Contains(trimmed[:min(len(trimmed), 4096)], []byte(`"trace"`)) {
			read = feed.ReadTrace
		}
		ps, err := read(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s holds no position this tool can read (SBS text, readsb trace or traffic JSON): %s", path, strings.TrimPrefix(err.Error(), "feed: "))
		}
		return ps, nil
	}
	sc := feed.NewSBSScanner(bytes.NewReader(data))
	var ps []feed.Position
	for sc.Scan() {
		ps = append(ps, sc.Position())
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%s holds no position this tool can read (SBS text, readsb trace or traffic JSON)", path)
	}
	return ps, sc.Err()
}

func runReplay(ctx context.Context, args []string) error {
	fs := newFlags("replay", "replay FILE [--speed 10] [--relocate LON,LAT] [--start now]")
	speed := fs.Float64("speed", 1, "replay speed: 10 plays ten times faster than recorded")
	reloc := fs.String("relocate", "", "move the track so it starts at LON,LAT (labelled as relocated)")
	batch := fs.Duration("batch", 500*time.Millisecond, "how often positions are posted")
	var cf clientFlags
	cf.add(fs)
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	ps, err := readRecorded(pos[0])
	if err != nil {
		return err
	}
	if *speed <= 0 {
		return fmt.Errorf("--speed must be positive")
	}
	if *reloc != "" {
		ll := splitList(*reloc)
		if len(ll) != 2 {
			return fmt.Errorf("--relocate is LON,LAT")
		}
		lon, err1 := strconv.ParseFloat(ll[0], 64)
		lat, err2 := strconv.ParseFloat(ll[1], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("--relocate is LON,LAT")
		}
		if ps, err = feed.Relocate(ps, lat, lon, time.Time{}); err != nil {
			return err
		}
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Replaying %d positions from %s at %gx%s.\n", len(ps), pos[0], *speed, map[bool]string{true: " (relocated)", false: ""}[*reloc != ""])
	var pending [][]byte
	last := time.Now()
	var sent, rejected int
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		res, err := cl.PostPositions(ctx, pending)
		if err != nil {
			return err
		}
		sent += res.Accepted
		rejected += res.Rejected + res.Refused + res.Dropped
		pending = pending[:0]
		return nil
	}
	err = feed.Replay(ctx, ps, *speed, func(p feed.Position) error {
		line, err := feed.MarshalNDJSON(p)
		if err != nil {
			rejected++
			return nil
		}
		pending = append(pending, bytes.TrimSpace(line))
		if time.Since(last) >= *batch || len(pending) >= 1000 {
			last = time.Now()
			return flush()
		}
		return nil
	}, feed.Restamp())
	if err == nil {
		err = flush()
	}
	fmt.Fprintf(stderr, "Sent %d positions (%d refused).\n", sent, rejected)
	return err
}

func runAlerts(ctx context.Context, args []string) error {
	var cf clientFlags
	if len(args) > 0 && (args[0] == "ack" || args[0] == "close") {
		usage := "alert close ID [--note N]"
		if args[0] == "ack" {
			usage = "alert ack ID [--note N] [--key FILE]"
		}
		fs := newFlags("alert "+args[0], usage)
		note := fs.String("note", "", "note, kept in the alert's history")
		var keyFile *string
		if args[0] == "ack" {
			keyFile = fs.String("key", "", "your party's own key file (truce key generate): the acknowledgement is signed here, and only the signature is sent")
		}
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		var a *truce.Alert
		switch {
		case args[0] == "close":
			a, err = cl.CloseAlert(ctx, pos[0], *note)
		case *keyFile != "":
			k, err := partykey.Load(*keyFile)
			if err != nil {
				return err
			}
			// The key is named after the party's slug.
			p, err := cl.FindParty(ctx, k.Signer.Name())
			if err != nil {
				return err
			}
			a, err = partykey.AcknowledgeAlert(ctx, cl, k, pos[0], p.ID, *note)
			if err != nil {
				return err
			}
		default:
			a, err = cl.AcknowledgeAlert(ctx, pos[0], truce.AlertAckInput{Note: *note})
		}
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(a)
		}
		fmt.Fprintf(stdout, "Alert %s is %s.\n", a.ID, a.State)
		if w := a.Awaiting(); len(w) > 0 && a.State != truce.AlertClosed {
			fmt.Fprintf(stdout, "Not yet acknowledged by %d part%s.\n", len(w), map[bool]string{true: "y", false: "ies"}[len(w) == 1])
		}
		return nil
	}
	fs := newFlags("alerts", "alerts [--kind K] [--state S] [--ongoing] [--follow]")
	kind := fs.String("kind", "", "only this kind")
	state := fs.String("state", "", "only this state")
	ongoing := fs.Bool("ongoing", false, "only the open episodes: alerts not closed whose episode goes on")
	follow := fs.Bool("follow", false, "print alerts as they come (Server-Sent Events)")
	cf.add(fs)
	_, cl, err := cf.parse(fs, args, 0)
	if err != nil {
		return err
	}
	if !*follow {
		as, _, err := cl.ListAlerts(ctx, truce.AlertFilter{Kind: truce.AlertKind(*kind), State: truce.AlertState(*state), Ongoing: *ongoing, Limit: 500})
		if err != nil {
			return err
		}
		return printList(cf.json, as, as, "", "TIME\tKIND\tSTATE\tID\tSUMMARY", func(a *truce.Alert) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", a.Time.Format(time.RFC3339), a.Kind, a.State, a.ID, a.Summary)
		})
	}
	return followEvents(ctx, cf, "alert", func(data []byte) {
		if cf.json {
			fmt.Fprintln(stdout, string(data))
			return
		}
		var ev struct {
			Data truce.Alert `json:"data"`
		}
		if jsonUnmarshal(data, &ev) == nil && ev.Data.ID != "" {
			a := ev.Data
			fmt.Fprintf(stdout, "%s  %-16s %-12s %s  %s\n", a.Time.Format(time.RFC3339), a.Kind, a.State, a.ID, a.Summary)
		} else {
			fmt.Fprintln(stdout, string(data))
		}
	})
}

// followEvents reads the server's Server-Sent Events stream, reconnecting
// with Last-Event-ID so no event is missed or repeated.
func followEvents(ctx context.Context, cf clientFlags, kinds string, onData func([]byte)) error {
	lastID := ""
	backoff := time.Second
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(cf.url, "/")+"/api/v1/events?kind="+kinds, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+cf.token)
		req.Header.Set("Accept", "text/event-stream")
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil && resp.StatusCode != 200 {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == 401 || resp.StatusCode == 403 || resp.StatusCode == 404 {
				return problemLine(resp.StatusCode, b)
			}
			err = fmt.Errorf("server answered %d", resp.StatusCode)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(stderr, "truce: events: %v; retrying in %s\n", err, backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return nil
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = time.Second
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		var data bytes.Buffer
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if data.Len() > 0 {
					onData(bytes.TrimSuffix(data.Bytes(), []byte("\n")))
					data.Reset()
				}
			case strings.HasPrefix(line, "id:"):
				lastID = strings.TrimSpace(line[3:])
			case strings.HasPrefix(line, "data:"):
				data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ") + "\n")
			}
		}
		resp.Body.Close()
	}
	return nil
}

func runFeed(ctx context.Context, args []string) error {
	var cf clientFlags
	switch args[0] {
	case "add":
		fs := newFlags("feed add", "feed add sbs HOST:PORT [--name N]")
		name := fs.String("name", "", "a name for the feed")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 2)
		if err != nil {
			return err
		}
		f, err := cl.AddFeed(ctx, truce.FeedSource{Kind: pos[0], Addr: pos[1], Name: *name})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Feed %s added: the server connects to %s and reconnects when it drops.\n", f.ID, f.Addr)
		return nil
	case "list":
		fs := newFlags("feed list", "feed list")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		fs2, err := cl.ListFeeds(ctx)
		if err != nil {
			return err
		}
		return printList(cf.json, fs2, fs2, "", "ID\tKIND\tADDRESS\tNAME", func(f *truce.FeedSource) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s", f.ID, f.Kind, f.Addr, f.Name)
		})
	case "remove":
		fs := newFlags("feed remove", "feed remove ID")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if _, err := cl.RemoveFeed(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Feed %s removed.\n", pos[0])
		return nil
	}
	return fmt.Errorf("feed: unknown sub-verb %q", args[0])
}

func runAircraft(ctx context.Context, args []string) error {
	var cf clientFlags
	switch args[0] {
	case "add":
		fs := newFlags("aircraft add", "aircraft add --icao HEX | --prefix CALLSIGN_PREFIX [--party SLUG] [--note N]")
		var a truce.Aircraft
		fs.StringVar(&a.ICAO, "icao", "", "ICAO 24-bit address, 6 hex digits")
		fs.StringVar(&a.CallsignPrefix, "prefix", "", "callsign prefix of a fleet")
		fs.StringVar(&a.PartyID, "party", "", "party (admins only; default your own)")
		fs.StringVar(&a.Note, "note", "", "note")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		out, err := cl.RegisterAircraft(ctx, a)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Registered %s%s to party %s (entry %s).\n", out.ICAO, out.CallsignPrefix, out.PartyID, out.ID)
		return nil
	case "list":
		fs := newFlags("aircraft list", "aircraft list [--party SLUG]")
		party := fs.String("party", "", "only this party's entries")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		as, err := cl.ListAircraft(ctx, *party)
		if err != nil {
			return err
		}
		return printList(cf.json, as, as, "", "ID\tPARTY\tICAO\tPREFIX\tNOTE", func(a *truce.Aircraft) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", a.ID, a.PartyID, a.ICAO, a.CallsignPrefix, a.Note)
		})
	case "remove":
		fs := newFlags("aircraft remove", "aircraft remove ID")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if _, err := cl.RemoveAircraft(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Entry %s removed.\n", pos[0])
		return nil
	}
	return fmt.Errorf("aircraft: unknown sub-verb %q", args[0])
}

func runTracks(ctx context.Context, args []string) error {
	fs := newFlags("tracks", "tracks [--bbox minLon,minLat,maxLon,maxLat]")
	bbox := fs.String("bbox", "", "only tracks within this box")
	var cf clientFlags
	cf.add(fs)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	var b *truce.BBox
	if *bbox != "" {
		v, err := truce.ParseBBox(*bbox)
		if err != nil {
			return err
		}
		b = v
	}
	cl, err := cf.client()
	if err != nil {
		return err
	}
	ts, err := cl.Tracks(ctx, b)
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(ts)
	}
	table("ICAO\tCALLSIGN\tPARTY\tLON\tLAT\tALT(m)\tSEEN", func(w *tabwriter.Writer) {
		for _, t := range ts {
			alt := "-"
			if t.AltM != nil {
				alt = strconv.FormatFloat(*t.AltM, 'f', 0, 64)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%.4f\t%.4f\t%s\t%s\n", t.ICAO, t.Callsign, t.Party, t.Lon, t.Lat, alt, t.LastSeen.Format(time.RFC3339))
		}
	})
	return nil
}
