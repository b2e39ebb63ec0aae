package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/observation"
	"github.com/truce-project/truce/partykey"
)

func init() {
	register("observation", "file, list and show ceasefire observations", runObservation, "add", "list", "show")
	register("incident", "list and show incidents; verify, dispute or reject one (signed); merge and split them and move observations by hand; the daily report", runIncident, "list", "show", "verify", "dispute", "reject", "merge", "split", "move", "report")
	register("evidence", "upload evidence files (photos, video, audio, documents) by SHA-256; show and download them", runEvidence, "upload", "show", "get")
}

func runObservation(ctx context.Context, args []string) error {
	var cf clientFlags
	sub, rest := args[0], args[1:]
	switch sub {
	case "add":
		fs := newFlags("observation add", "observation add --mode heard --from LON,LAT (--at LON,LAT --accuracy M | --bearing DEG [--bearing-error DEG] --distance MIN-MAX) --category explosion [--sub artillery] [--start T] [--end T] [--events B[,L,H]] [--casualties B[,L,H]] [--weapon W] [--actor A --confidence C] [--narrative N] [--observer USER] | --file F.json) [--evidence FILE,FILE]")
		file := fs.String("file", "", "the observation as JSON (the API's ObservationInput); the other flags are then ignored")
		mode := fs.String("mode", "", "saw, heard, saw_and_heard, camera, uav, satellite or third_party")
		from := fs.String("from", "", "the observer's position: LON,LAT")
		at := fs.String("at", "", "the event's position: LON,LAT (with --accuracy)")
		accuracy := fs.Float64("accuracy", 0, "metres around --at")
		bearing := fs.Float64("bearing", -1, "degrees from true north, from the observer")
		bearingErr := fs.Float64("bearing-error", 5, "± degrees of the bearing")
		distance := fs.String("distance", "", "distance range from the observer: MIN-MAX metres")
		category := fs.String("category", "", "explosion, projectile_in_flight, muzzle_flash, illumination_flare, burst_and_shot, armed_clash, heavy_weapons_movement, territory_overtaken or violence_against_civilians")
		subCat := fs.String("sub", "", "sub-category (explosion: artillery, mortar, rocket, air_strike, ied, undetermined)")
		start := fs.String("start", "", "start of the time window (RFC 3339; default now)")
		end := fs.String("end", "", "end of the time window (RFC 3339; default the start)")
		events := fs.String("events", "", "how many: BEST or BEST,LOW,HIGH")
		casualties := fs.String("casualties", "", "casualties: BEST or BEST,LOW,HIGH")
		weapon := fs.String("weapon", "", "weapon")
		actor := fs.String("actor", "", "the armed force or group the event is attributed to")
		confidence := fs.Float64("confidence", 0, "confidence in the attribution, 0 to 1")
		narrative := fs.String("narrative", "", "narrative")
		observer := fs.String("observer", "", "the observer (an operator filing for an observer of the party)")
		evidence := fs.String("evidence", "", "photos, video, audio or documents to upload and cite, separated by commas")
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		var in observation.Input
		if *file != "" {
			data, err := os.ReadFile(*file)
			if err != nil {
				return err
			}
			dec := json.NewDecoder(strings.NewReader(string(data)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				return fmt.Errorf("observation add: %s: %v", *file, err)
			}
		} else {
			in = observation.Input{Mode: observation.Mode(*mode), Category: observation.Category(*category), SubCategory: *subCat,
				Weapon: *weapon, Actor: *actor, Confidence: *confidence, Narrative: *narrative, ObserverID: *observer}
			if in.Position, err = lonLat("--from", *from); err != nil {
				return err
			}
			switch {
			case *at != "":
				p, err := lonLat("--at", *at)
				if err != nil {
					return err
				}
				in.Location, in.Accuracy = &p, *accuracy
			case *bearing >= 0 || *distance != "":
				lo, hi, ok := strings.Cut(*distance, "-")
				dmin, err1 := strconv.ParseFloat(lo, 64)
				dmax, err2 := strconv.ParseFloat(hi, 64)
				if !ok || err1 != nil || err2 != nil {
					return fmt.Errorf("observation add: --distance is MIN-MAX metres, like 2000-6000")
				}
				in.Bearing = &observation.Bearing{Degrees: *bearing, Error: *bearingErr, MinDistance: dmin, MaxDistance: dmax}
			}
			if in.Start, err = parseTimeOr(*start, time.Now().UTC()); err != nil {
				return err
			}
			if in.End, err = parseTimeOr(*end, in.Start); err != nil {
				return err
			}
			if in.Events, err = count("--events", *events); err != nil {
				return err
			}
			if in.Casualties, err = count("--casualties", *casualties); err != nil {
				return err
			}
		}
		if *evidence != "" {
			for _, p := range strings.Split(*evidence, ",") {
				e, err := uploadEvidenceFile(ctx, cl, strings.TrimSpace(p))
				if err != nil {
					return err
				}
				in.Evidence = append(in.Evidence, e.SHA256)
			}
		}
		o, err := cl.AddObservation(ctx, in)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(o)
		}
		fmt.Fprintf(stdout, "Observation %s filed (journal %d), located at %.5f,%.5f ± %.0f m, in incident %s.\n", o.ID, o.JournalIndex, o.Center.Lon, o.Center.Lat, o.Radius, o.IncidentID)
		return nil
	case "list":
		fs := newFlags("observation list", "observation list [--incident ID] [--limit N]")
		incident := fs.String("incident", "", "only this incident's observations")
		limit := fs.Int("limit", 100, "at most this many (1 to 500)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		obs, _, err := cl.ListObservations(ctx, observation.Filter{IncidentID: *incident, Limit: *limit})
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(obs)
		}
		table("OBSERVATION\tSTART\tMODE\tCATEGORY\tOBSERVER\tINCIDENT", func(w *tabwriter.Writer) {
			for _, o := range obs {
				who := o.ObserverLabel
				if o.ObserverID != "" {
					who = o.ObserverID
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.Start.Format(time.RFC3339), o.Mode, catName(o.Category, o.SubCategory), who, o.IncidentID)
			}
		})
		return nil
	case "show":
		fs := newFlags("observation show", "observation show ID")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		o, err := cl.FindObservation(ctx, pos[0])
		if err != nil {
			return err
		}
		return printJSON(o)
	}
	return fmt.Errorf("observation: unknown sub-verb %q (add, list, show)", sub)
}

func runIncident(ctx context.Context, args []string) error {
	var cf clientFlags
	sub, rest := args[0], args[1:]
	switch sub {
	case "list":
		fs := newFlags("incident list", "incident list [--status S] [--limit N]")
		status := fs.String("status", "", "reported, corroborated, verified, disputed or rejected")
		limit := fs.Int("limit", 100, "at most this many (1 to 500)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		is, _, err := cl.ListIncidents(ctx, observation.IncidentFilter{Status: observation.Status(*status), Limit: *limit})
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(is)
		}
		table("INCIDENT\tSTART\tSTATUS\tCATEGORY\tOBS\tOBSERVERS\tPARTIES\tWHERE\tVIOLATIONS", func(w *tabwriter.Writer) {
			for _, i := range is {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%.4f,%.4f ± %.0f m\t%d\n", i.ID, i.Start.Format(time.RFC3339), i.Status, catName(i.Category, i.SubCategory),
					i.Observations, i.Observers, len(i.Parties), i.Center.Lon, i.Center.Lat, i.Radius, len(i.Violations))
			}
		})
		return nil
	case "show":
		fs := newFlags("incident show", "incident show ID")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		i, err := cl.FindIncident(ctx, pos[0])
		if err != nil {
			return err
		}
		return printJSON(i)
	case "verify", "dispute", "reject":
		fs := newFlags("incident "+sub, "incident "+sub+" ID --reason TEXT [--version N] [--signature FILE]")
		reason := fs.String("reason", "", "why (required; journalled and signed)")
		version := fs.Int("version", 0, "the incident version decided on (default: the current one)")
		sigFile := fs.String("signature", "", "file holding the signed decision statement, for a party that holds its own key")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		d := observation.DecisionInput{Action: observation.Action(sub), Reason: *reason, Version: *version}
		if *sigFile != "" {
			var err error
			if d.Signature, err = readBounded(*sigFile, truce.MaxSignatureLen); err != nil {
				return err
			}
		}
		i, err := cl.DecideIncident(ctx, pos[0], d)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(i)
		}
		fmt.Fprintf(stdout, "Incident %s is %s (journal %d).\n", i.ID, i.Status, i.JournalIndex)
		for _, v := range i.Violations {
			fmt.Fprintf(stdout, "Violation: %s prohibited in %s zone %s (version %d) by agreement %s.\n", v.Activity, v.ZoneKind, v.ZoneID, v.ZoneVersion, v.AgreementID)
		}
		return nil
	case "respond":
		fs := newFlags("incident respond", "incident respond ID --stance accept|dispute --text TEXT [--version N] [--key FILE | --signature FILE]")
		var in observation.ResponseInput
		stance := fs.String("stance", "", "accept or dispute the violation (required)")
		fs.StringVar(&in.Text, "text", "", "the response (required; journalled and signed)")
		fs.IntVar(&in.Version, "version", 0, "the incident version answered (default: the current one)")
		keyFile := fs.String("key", "", "your party's own key file (truce key generate): the response statement is checked and signed here, and only the signature is sent")
		sigFile := fs.String("signature", "", "file holding the signed note of the response statement (omit for a custodial party)")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		if *keyFile != "" && *sigFile != "" {
			return fmt.Errorf("incident respond: give --key or --signature, not both")
		}
		// The server signs and checks the text as trimmed.
		in.Stance, in.Text = observation.Stance(*stance), strings.TrimSpace(in.Text)
		switch {
		case *keyFile != "":
			k, err := partykey.Load(*keyFile)
			if err != nil {
				return err
			}
			st, err := cl.IncidentResponseStatement(ctx, pos[0], in)
			if err != nil {
				return err
			}
			if in.Signature, err = partykey.SignIncidentResponse(k, st, pos[0], string(in.Stance), in.Text); err != nil {
				return err
			}
		case *sigFile != "":
			var err error
			if in.Signature, err = readBounded(*sigFile, truce.MaxSignatureLen); err != nil {
				return err
			}
		}
		i, err := cl.RespondIncident(ctx, pos[0], in)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(i)
		}
		r := i.Responses[len(i.Responses)-1]
		fmt.Fprintf(stdout, "Incident %s: party %s %ss the violation (journal %d).\n", i.ID, r.PartyID, r.Stance, r.JournalIndex)
		return nil
	case "merge", "split", "move":
		usage := "incident merge ID --from ID[,ID] --reason TEXT"
		listName, listHelp := "from", "the incidents whose observations move into ID, separated by commas"
		if sub == "split" {
			usage = "incident split ID --observations ID[,ID] --reason TEXT"
			listName, listHelp = "observations", "the observations of ID that move into a new incident, separated by commas"
		}
		if sub == "move" {
			usage = "incident move ID --observations ID[,ID] --reason TEXT"
			listName, listHelp = "observations", "the observations, of other incidents, that move into ID, separated by commas"
		}
		fs := newFlags("incident "+sub, usage)
		list := fs.String(listName, "", listHelp)
		reason := fs.String("reason", "", "why (required; journalled)")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		var ids []string
		for _, id := range strings.Split(*list, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		var i *observation.Incident
		switch sub {
		case "merge":
			i, err = cl.MergeIncidents(ctx, pos[0], observation.MergeInput{From: ids, Reason: *reason})
		case "move":
			i, err = cl.MoveObservations(ctx, pos[0], observation.MoveInput{Observations: ids, Reason: *reason})
		default:
			i, err = cl.SplitIncident(ctx, pos[0], observation.SplitInput{Observations: ids, Reason: *reason})
		}
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(i)
		}
		fmt.Fprintf(stdout, "Incident %s holds %d observations from %d observers, %s, at %.5f,%.5f ± %.0f m (journal %d).\n", i.ID, i.Observations, i.Observers, i.Status, i.Center.Lon, i.Center.Lat, i.Radius, i.JournalIndex)
		return nil
	case "report":
		fs := newFlags("incident report", "incident report [--day YYYY-MM-DD] [--format text|csv|acled] [--publish [--reason R] | --published]")
		day := fs.String("day", "", "the UTC day (default today)")
		format := fs.String("format", "text", "text, csv (totals by category) or acled (one row per incident), the CSVs with an HXL row")
		publish := fs.Bool("publish", false, "publish the report as it stands: its SHA-256 is journalled (the monitoring mission's operators)")
		reason := fs.String("reason", "", "with --publish, why a day published already is published again")
		published := fs.Bool("published", false, "the report as published, checked against its journalled hash")
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		d := time.Now().UTC()
		if *day != "" {
			if d, err = time.Parse(time.DateOnly, *day); err != nil {
				return fmt.Errorf("incident report: --day is a date like 2026-12-07")
			}
		}
		var rep *observation.DailyReport
		if *publish || *published {
			var p *observation.PublishedReport
			if *publish {
				p, err = cl.PublishReport(ctx, d, *reason)
			} else {
				p, err = cl.PublishedReport(ctx, d)
			}
			if err != nil {
				return err
			}
			if err := json.Unmarshal(p.Report, &rep); err != nil {
				return err
			}
			if !cf.json {
				fmt.Fprintf(stdout, "Published report %s, version %d, SHA-256 %s (journal %d).\n", p.Publication.ID, p.Publication.Version, p.Publication.SHA256, p.Publication.JournalIndex)
			}
		} else if rep, err = cl.DailyReport(ctx, d); err != nil {
			return err
		}
		switch {
		case cf.json:
			return printJSON(rep)
		case *format == "csv":
			return observation.WriteCSV(stdout, rep)
		case *format == "acled":
			return observation.WriteACLED(stdout, rep)
		case *format != "text":
			return fmt.Errorf("incident report: --format is text, csv or acled")
		}
		fmt.Fprintf(stdout, "Daily report %s: %d incidents (%+d against the day before), %d observations, %d violations.\n",
			rep.Day, rep.Total.Incidents, rep.Total.Incidents-rep.Previous.Incidents, rep.Total.Observations, rep.Total.Violations)
		table("CATEGORY\tACLED\tINCIDENTS\tOBSERVATIONS\tVIOLATIONS\tEVENTS\tCASUALTIES", func(w *tabwriter.Writer) {
			for _, c := range rep.ByCategory {
				fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d (%d–%d)\t%d (%d–%d)\n", c.Category, c.ACLED.EventType, c.Incidents, c.Observations, c.Violations,
					c.Events.Best, c.Events.Low, c.Events.High, c.Casualties.Best, c.Casualties.Low, c.Casualties.High)
			}
		})
		if len(rep.ByZone) > 0 {
			table("ZONE\tINCIDENTS\tOBSERVATIONS\tVIOLATIONS\tBY CATEGORY (INCIDENTS/OBSERVATIONS/VIOLATIONS)\tBY PARTY (INCIDENTS/VIOLATIONS)", func(w *tabwriter.Writer) {
				for _, z := range rep.ByZone {
					var cats, parties []string
					for _, c := range z.ByCategory {
						cats = append(cats, fmt.Sprintf("%s %d/%d/%d", c.Category, c.Incidents, c.Observations, c.Violations))
					}
					for _, p := range z.ByParty {
						parties = append(parties, fmt.Sprintf("%s %d/%d", p.PartyID, p.Incidents, p.Violations))
					}
					fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\t%s\n", z.ZoneID, z.Incidents, z.Observations, z.Violations, strings.Join(cats, ", "), strings.Join(parties, ", "))
				}
			})
		}
		return nil
	}
	return fmt.Errorf("incident: unknown sub-verb %q (list, show, verify, dispute, reject, merge, split, move, report, respond)", sub)
}

func catName(c observation.Category, sub string) string {
	if sub == "" {
		return string(c)
	}
	return string(c) + "/" + sub
}

// lonLat parses "LON,LAT".
func lonLat(flag, s string) (observation.Point, error) {
	lo, la, ok := strings.Cut(s, ",")
	lon, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	lat, err2 := strconv.ParseFloat(strings.TrimSpace(la), 64)
	if !ok || err1 != nil || err2 != nil {
		return observation.Point{}, truce.Errorf(truce.EINVALID, "%s is LON,LAT in degrees, like 36.10,32.58.", flag)
	}
	return observation.Point{Lon: lon, Lat: lat}, nil
}

// count parses "BEST" or "BEST,LOW,HIGH" (BEST alone is also the low and
// the high).
func count(flag, s string) (observation.Count, error) {
	if s == "" {
		return observation.Count{}, nil
	}
	parts := strings.Split(s, ",")
	var n []int
	for _, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return observation.Count{}, truce.Errorf(truce.EINVALID, "%s is BEST or BEST,LOW,HIGH.", flag)
		}
		n = append(n, v)
	}
	switch len(n) {
	case 1:
		return observation.Count{Best: n[0], Low: n[0], High: n[0]}, nil
	case 3:
		return observation.Count{Best: n[0], Low: n[1], High: n[2]}, nil
	}
	return observation.Count{}, truce.Errorf(truce.EINVALID, "%s is BEST or BEST,LOW,HIGH.", flag)
}

// uploadEvidenceFile uploads a file under its SHA-256 and returns its
// record.
func uploadEvidenceFile(ctx context.Context, cl *api.Client, path string) (*observation.Evidence, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) > observation.MaxEvidenceBytes {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit for evidence", path, len(data), observation.MaxEvidenceBytes)
	}
	e, err := cl.UploadEvidence(ctx, observation.SHA256Hex(data), data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

func runEvidence(ctx context.Context, args []string) error {
	var cf clientFlags
	sub, rest := args[0], args[1:]
	switch sub {
	case "upload":
		fs := newFlags("evidence upload", "evidence upload FILE")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		var out []*observation.Evidence
		for _, p := range pos {
			e, err := uploadEvidenceFile(ctx, cl, p)
			if err != nil {
				return err
			}
			out = append(out, e)
			if !cf.json {
				shared := "other parties download it as it is"
				switch {
				case e.Shared == "":
					shared = "its metadata cannot be removed: only your party downloads it"
				case len(e.Removed) > 0:
					shared = "other parties download it without " + strings.Join(e.Removed, ", ")
				}
				fmt.Fprintf(stdout, "%s %s (%s, %d bytes, journal %d): %s.\n", e.SHA256, p, e.MediaType, e.Size, e.JournalIndex, shared)
			}
		}
		if cf.json {
			return printJSON(out[0])
		}
		return nil
	case "show":
		fs := newFlags("evidence show", "evidence show SHA256")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		e, err := cl.FindEvidence(ctx, pos[0])
		if err != nil {
			return err
		}
		return printJSON(e)
	case "get":
		fs := newFlags("evidence get", "evidence get SHA256 --out FILE [--shared]")
		out := fs.String("out", "", "where to write the file")
		shared := fs.Bool("shared", false, "the copy other parties download (without metadata), for your own party's files")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		if *out == "" {
			return fmt.Errorf("evidence get: --out FILE is required")
		}
		e, b, err := cl.EvidenceFile(ctx, pos[0], *shared)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d bytes of %s, SHA-256 %s.\n", *out, len(b), e.MediaType, observation.SHA256Hex(b))
		return nil
	}
	return fmt.Errorf("evidence: unknown sub-verb %q (upload, show, get)", sub)
}
