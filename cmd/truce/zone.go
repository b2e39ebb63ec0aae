package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/partykey"
)

func init() {
	register("agreement", "create, list and show agreements; propose, approve or reject joint decisions on them; give notice of withdrawal", runAgreement,
		"create", "list", "show", "propose", "approve", "reject", "withdraw")
	register("zone", "propose, decide, suspend, withdraw, list and inspect zones", runZone,
		"propose", "change", "approve", "reject", "suspend", "withdraw", "list", "show", "history", "at", "export")
}

func runAgreement(ctx context.Context, args []string) error {
	var cf clientFlags
	switch args[0] {
	case "create":
		fs := newFlags("agreement create", "agreement create --title T --signatories us,ru,jo --from RFC3339 [--to RFC3339] [--reference R] [--relay PARTY]")
		var c truce.AgreementCreate
		fs.StringVar(&c.Title, "title", "", "title")
		fs.StringVar(&c.Reference, "reference", "", "reference text or link")
		sigs := fs.String("signatories", "", "comma-separated party slugs or ids")
		from := fs.String("from", "", "effective from (RFC 3339; default now)")
		to := fs.String("to", "", "effective until (RFC 3339; default open-ended)")
		lead := fs.Duration("lead-time", 0, "notification lead time (default 48h)")
		notice := fs.Duration("notice-period", 0, "notice period of a withdrawal (default 720h, 30 days)")
		leads := fs.String("lead-times", "", "lead time per kind of notification: site/hospital=48h,movement/road_convoy=72h")
		ackWindow := fs.Duration("ack-window", 0, "time a party has to acknowledge a notification (default 24h)")
		reminders := fs.String("reminders", "", "how long before an acknowledgement is due a silent party is reminded: 12h,2h (default 6h)")
		fs.StringVar(&c.Rules.Relay, "relay", "", "coordinator party (slug or id, a signatory) that relays humanitarian notifications; default: straight to every party")
		cf.add(fs)
		if _, err := parse(fs, args[1:], 0); err != nil {
			return err
		}
		c.Signatories = splitList(*sigs)
		c.Rules.LeadTime, c.Rules.NoticePeriod = truce.Duration(*lead), truce.Duration(*notice)
		c.Rules.AckWindow = truce.Duration(*ackWindow)
		for _, kv := range splitList(*leads) {
			k, v, ok := strings.Cut(kv, "=")
			d, err := time.ParseDuration(v)
			if !ok || err != nil {
				return fmt.Errorf("agreement create: --lead-times: %q is not KIND=DURATION (like site/hospital=48h)", kv)
			}
			if c.Rules.LeadTimes == nil {
				c.Rules.LeadTimes = map[string]truce.Duration{}
			}
			c.Rules.LeadTimes[k] = truce.Duration(d)
		}
		for _, r := range splitList(*reminders) {
			d, err := time.ParseDuration(r)
			if err != nil {
				return fmt.Errorf("agreement create: --reminders: %q is not a duration (like 6h)", r)
			}
			c.Rules.Reminders = append(c.Rules.Reminders, truce.Duration(d))
		}
		var err error
		if c.EffectiveFrom, err = parseTimeOr(*from, time.Now()); err != nil {
			return err
		}
		if *to != "" {
			t, err := parseTimeOr(*to, time.Time{})
			if err != nil {
				return err
			}
			c.EffectiveTo = &t
		}
		cl, err := cf.client()
		if err != nil {
			return err
		}
		a, err := cl.CreateAgreement(ctx, c)
		if err != nil {
			return err
		}
		return showAgreement(a, cf.json)
	case "list":
		fs := newFlags("agreement list", "agreement list [--status S]")
		status := fs.String("status", "", "only agreements with this status")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		as, _, err := cl.ListAgreements(ctx, truce.AgreementFilter{Status: truce.AgreementStatus(*status), Limit: 500})
		if err != nil {
			return err
		}
		return printList(cf.json, as, as, "", "ID\tSTATUS\tFROM\tTITLE", func(a *truce.Agreement) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s", a.ID, a.Status, a.EffectiveFrom.Format("2006-01-02"), a.Title)
		})
	case "show":
		fs := newFlags("agreement show", "agreement show ID")
		cf.add(fs)
		rest, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		a, err := cl.FindAgreement(ctx, rest[0])
		if err != nil {
			return err
		}
		return showAgreement(a, cf.json)
	case "propose":
		fs := newFlags("agreement propose", "agreement propose ID bring_into_force|amend|suspend|terminate [--note N] [--title T] [--to RFC3339] [--notice-period D]")
		note := fs.String("note", "", "why, recorded with the proposal")
		title := fs.String("title", "", "amend: the new title")
		to := fs.String("to", "", "amend: the new end of the effective period (RFC 3339)")
		notice := fs.Duration("notice-period", 0, "amend: the new notice period of a withdrawal")
		cf.add(fs)
		rest, cl, err := cf.parse(fs, args[1:], 2)
		if err != nil {
			return err
		}
		m := truce.AgreementMotion{Action: truce.AgreementAction(rest[1]), Note: *note}
		if m.Action == truce.AgreementAmend {
			m.Text = &truce.AgreementUpdate{}
			if *title != "" {
				m.Text.Title = title
			}
			if *to != "" {
				t, err := parseTimeOr(*to, time.Time{})
				if err != nil {
					return err
				}
				m.Text.EffectiveTo = &t
			}
			if *notice != 0 {
				a, err := cl.FindAgreement(ctx, rest[0])
				if err != nil {
					return err
				}
				rules := a.Rules
				rules.NoticePeriod = truce.Duration(*notice)
				m.Text.Rules = &rules
			}
		} else if *title != "" || *to != "" || *notice != 0 {
			return fmt.Errorf("agreement propose: --title, --to and --notice-period are for an amendment")
		}
		a, err := cl.ProposeAgreement(ctx, rest[0], m, 0)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(a)
		}
		fmt.Fprintf(stdout, "Proposal %d (%s) on agreement %s awaits every signatory's decision.\n", a.Proposal.Number, a.Proposal.Action, a.ID)
		return nil
	case "approve", "reject":
		fs := newFlags("agreement "+args[0], "agreement "+args[0]+" ID [--proposal N] [--reason R] [--key FILE | --signature-file F]")
		number := fs.Int("proposal", 0, "proposal to decide on (default: the pending one)")
		reason := fs.String("reason", "", "reason, recorded with the decision")
		keyFile := fs.String("key", "", "your party's own key file (truce key generate): the statement is built from the proposal as read and signed here; only the signature is sent")
		sigFile := fs.String("signature-file", "", "signed note over the decision statement, for a party holding its own key")
		cf.add(fs)
		rest, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if *keyFile != "" && *sigFile != "" {
			return fmt.Errorf("agreement %s: give --key or --signature-file, not both", args[0])
		}
		if *keyFile != "" {
			k, err := partykey.Load(*keyFile)
			if err != nil {
				return err
			}
			a, err := partykey.DecideAgreement(ctx, cl, k, rest[0], *number, args[0] == "approve", *reason)
			if err != nil {
				return err
			}
			return printAgreementDecided(a, cf.json)
		}
		if *number == 0 {
			a, err := cl.FindAgreement(ctx, rest[0])
			if err != nil {
				return err
			}
			if a.Pending() == nil {
				return fmt.Errorf("agreement %s has no proposal awaiting decisions", rest[0])
			}
			*number = a.Pending().Number
		}
		d := truce.ZoneDecision{Approve: args[0] == "approve", Reason: *reason}
		if *sigFile != "" {
			b, err := readBounded(*sigFile, truce.MaxSignatureLen)
			if err != nil {
				return err
			}
			d.Signature = b
		}
		a, err := cl.DecideAgreement(ctx, rest[0], *number, d)
		if err != nil {
			return err
		}
		return printAgreementDecided(a, cf.json)
	case "withdraw":
		fs := newFlags("agreement withdraw", "agreement withdraw ID [--reason R] [--key FILE | --signature-file F]")
		reason := fs.String("reason", "", "reason, recorded with the notice")
		keyFile := fs.String("key", "", "your party's own key file: the withdrawal statement is built from the agreement as read and signed here")
		sigFile := fs.String("signature-file", "", "signed note over the withdrawal statement, for a party holding its own key")
		cf.add(fs)
		rest, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		n := truce.NoticeCreate{Reason: *reason}
		var a *truce.Agreement
		if *keyFile != "" {
			if *sigFile != "" {
				return fmt.Errorf("agreement withdraw: give --key or --signature-file, not both")
			}
			k, err := partykey.Load(*keyFile)
			if err != nil {
				return err
			}
			// The key is named after the party's slug.
			p, err := cl.FindParty(ctx, k.Signer.Name())
			if err != nil {
				return err
			}
			if a, err = partykey.GiveNotice(ctx, cl, k, rest[0], p.ID, *reason); err != nil {
				return err
			}
		} else if *sigFile != "" {
			if n.Signature, err = readBounded(*sigFile, truce.MaxSignatureLen); err != nil {
				return err
			}
		}
		if a == nil {
			if a, err = cl.GiveNotice(ctx, rest[0], n); err != nil {
				return err
			}
		}
		if cf.json {
			return printJSON(a)
		}
		last := a.Notices[len(a.Notices)-1]
		fmt.Fprintf(stdout, "Notice of withdrawal from agreement %s given; it takes effect at %s.\n", a.ID, last.EffectiveAt.Format(time.RFC3339))
		return nil
	}
	return fmt.Errorf("agreement: unknown sub-verb %q (create, list, show, propose, approve, reject or withdraw)", args[0])
}

func printAgreementDecided(a *truce.Agreement, asJSON bool) error {
	if asJSON {
		return printJSON(a)
	}
	fmt.Fprintf(stdout, "Proposal %d (%s) on agreement %s is %s (%d decision(s)); the agreement is %s.\n",
		a.Proposal.Number, a.Proposal.Action, a.ID, a.Proposal.Status, len(a.Proposal.Decisions), a.Status)
	return nil
}

// readBounded reads a small file (a signed note), refusing one larger
// than max bytes.
func readBounded(name string, max int) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return "", err
	}
	if len(b) > max {
		return "", fmt.Errorf("%s is larger than %d bytes: not a signed note", name, max)
	}
	return string(b), nil
}

func showAgreement(a *truce.Agreement, asJSON bool) error {
	if asJSON {
		return printJSON(a)
	}
	to := "open-ended"
	if a.EffectiveTo != nil {
		to = a.EffectiveTo.Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "id:          %s\ntitle:       %s\nstatus:      %s\nsignatories: %s\neffective:   %s to %s\nlead time:   %s (emergency %s)\nnotice:      %s\njournal:     %d\n",
		a.ID, a.Title, a.Status, strings.Join(a.Signatories, ", "), a.EffectiveFrom.Format(time.RFC3339), to,
		time.Duration(a.Rules.LeadTime), time.Duration(a.Rules.EmergencyLeadTime), time.Duration(a.Rules.WithDefaults().NoticePeriod), a.JournalIndex)
	if !a.InForceAt(time.Now()) && a.Status == truce.AgreementInForce {
		fmt.Fprintf(stdout, "in force:    no (ended)\n")
	}
	if p := a.Proposal; p != nil {
		fmt.Fprintf(stdout, "proposal:    %d %s, %s (%d decision(s))\n", p.Number, p.Action, p.Status, len(p.Decisions))
	}
	for _, n := range a.Notices {
		fmt.Fprintf(stdout, "withdrawal:  party %s, given %s, effective %s\n", n.PartyID, n.GivenAt.Format(time.RFC3339), n.EffectiveAt.Format(time.RFC3339))
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func parseTimeOr(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	if s == "now" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (like 2017-07-09T12:00:00Z)", s)
	}
	return t, nil
}

func runZone(ctx context.Context, args []string) error {
	var cf clientFlags
	sub, rest := args[0], args[1:]
	switch sub {
	case "propose", "change":
		usage := "zone propose --agreement ID --file F.geojson --kind no_fly [--name N] [--floor 0] [--ceiling FL200] [--half-width M] [--radius M] [--from T] [--repair]"
		if sub == "change" {
			usage = "zone change ZONE_ID --file F.geojson --kind K [--name N] [--floor F] [--ceiling C] ..."
		}
		fs := newFlags("zone "+sub, usage)
		var p truce.ZoneProposal
		fs.StringVar(&p.Agreement, "agreement", "", "agreement id (propose)")
		file := fs.String("file", "", "GeoJSON file: a geometry, a Feature, or a FeatureCollection (imported as one proposal per feature)")
		kind := fs.String("kind", "", "deescalation, no_fly, buffer, liberated_area, humanitarian_corridor, exclusion or contact_line")
		fs.StringVar(&p.Name, "name", "", "zone name (default: the feature's name property)")
		fs.StringVar(&p.Floor, "floor", "", "floor: metres, 1000ft, FL50 or SFC")
		fs.StringVar(&p.Ceiling, "ceiling", "", "ceiling: metres, 10000ft, FL200 or UNL")
		fs.Float64Var(&p.HalfWidthM, "half-width", 0, "half-width in metres of a line (corridor)")
		fs.Float64Var(&p.RadiusM, "radius", 0, "radius in metres of a point")
		from := fs.String("from", "", "effective from (RFC 3339; default on approval)")
		fs.StringVar(&p.Note, "note", "", "note to the other signatories")
		fs.BoolVar(&p.Repair, "repair", false, "make an invalid polygon valid (self-crossings, spikes, touching holes) instead of refusing it; the area change is reported")
		cf.add(fs)
		want := 0
		if sub == "change" {
			want = 1
		}
		pos, err := parse(fs, rest, want)
		if err != nil {
			return err
		}
		if *file == "" {
			return fmt.Errorf("zone %s: --file is required", sub)
		}
		data, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		p.Kind = truce.ZoneKind(*kind)
		if *from != "" {
			t, err := parseTimeOr(*from, time.Time{})
			if err != nil {
				return err
			}
			p.EffectiveFrom = &t
		}
		cl, err := cf.client()
		if err != nil {
			return err
		}
		var probe struct {
			Type     string          `json:"type"`
			Geometry json.RawMessage `json:"geometry"`
			Props    map[string]any  `json:"properties"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			return fmt.Errorf("%s is not GeoJSON: %v", *file, err)
		}
		switch probe.Type {
		case "FeatureCollection":
			if sub == "change" {
				return fmt.Errorf("zone change takes one geometry, not a FeatureCollection")
			}
			vs, err := cl.ImportZones(ctx, truce.ZoneImport{Agreement: p.Agreement, Features: data, Defaults: p, EffectiveFrom: p.EffectiveFrom})
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(vs)
			}
			for _, v := range vs {
				fmt.Fprintf(stdout, "Proposed zone %s %q (version %d)%s, awaiting every signatory's decision.\n", v.ZoneID, v.Spec.Name, v.Version, repairNote(v.Spec))
			}
			return nil
		case "Feature":
			p.Geometry = probe.Geometry
			if n, ok := probe.Props["name"].(string); ok && p.Name == "" {
				p.Name = n
			}
		default:
			p.Geometry = data
		}
		var v *truce.ZoneVersion
		if sub == "change" {
			v, err = cl.ProposeChange(ctx, pos[0], p, 0)
		} else {
			_, v, err = cl.ProposeZone(ctx, p)
		}
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(v)
		}
		fmt.Fprintf(stdout, "Proposed zone %s %q version %d%s, awaiting every signatory's decision.\n", v.ZoneID, v.Spec.Name, v.Version, repairNote(v.Spec))
		return nil
	case "approve", "reject":
		fs := newFlags("zone "+sub, "zone "+sub+" ZONE_ID [--version N] [--reason R] [--key FILE | --signature-file F]")
		version := fs.Int("version", 0, "version to decide on (default: the pending one)")
		reason := fs.String("reason", "", "reason, recorded with the decision")
		keyFile := fs.String("key", "", "your party's own key file (truce key generate): the statement is checked and signed here, and only the signature is sent")
		sigFile := fs.String("signature-file", "", "signed note over the decision statement, for a party holding its own key")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		if *keyFile != "" && *sigFile != "" {
			return fmt.Errorf("zone %s: give --key or --signature-file, not both", sub)
		}
		var v *truce.ZoneVersion
		if *keyFile != "" {
			k, err := partykey.Load(*keyFile)
			if err != nil {
				return err
			}
			if v, err = partykey.DecideZone(ctx, cl, k, pos[0], *version, sub == "approve", *reason); err != nil {
				return err
			}
			return printDecided(v, cf.json)
		}
		if *version == 0 {
			z, err := cl.FindZone(ctx, pos[0])
			if err != nil {
				return err
			}
			if z.Pending == 0 {
				return fmt.Errorf("zone %s has no version awaiting decisions", pos[0])
			}
			*version = z.Pending
		}
		d := truce.ZoneDecision{Approve: sub == "approve", Reason: *reason}
		if *sigFile != "" {
			var err error
			if d.Signature, err = readBounded(*sigFile, truce.MaxSignatureLen); err != nil {
				return err
			}
		}
		if v, err = cl.DecideZone(ctx, pos[0], *version, d); err != nil {
			return err
		}
		return printDecided(v, cf.json)
	case "suspend", "withdraw":
		fs := newFlags("zone "+sub, "zone "+sub+" ZONE_ID [--note N] [--from T]")
		note := fs.String("note", "", "why")
		from := fs.String("from", "", "effective from (RFC 3339; default on approval)")
		cf.add(fs)
		pos, err := parse(fs, rest, 1)
		if err != nil {
			return err
		}
		var eff *time.Time
		if *from != "" {
			t, err := parseTimeOr(*from, time.Time{})
			if err != nil {
				return err
			}
			eff = &t
		}
		cl, err := cf.client()
		if err != nil {
			return err
		}
		f := cl.ProposeSuspension
		if sub == "withdraw" {
			f = cl.ProposeWithdrawal
		}
		v, err := f(ctx, pos[0], *note, eff)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Proposed to %s zone %s (version %d), awaiting every signatory's decision.\n", sub, v.ZoneID, v.Version)
		return nil
	case "list":
		fs := newFlags("zone list", "zone list [--at T] [--agreement ID] [--kind K] [--state S]")
		at := fs.String("at", "", "list the zone versions in force at this time (RFC 3339 or now)")
		ag := fs.String("agreement", "", "only this agreement's zones")
		kind := fs.String("kind", "", "only zones of this kind")
		state := fs.String("state", "", "only zones in this state")
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		if *at != "" {
			t, err := parseTimeOr(*at, time.Now())
			if err != nil {
				return err
			}
			vs, err := cl.ZonesInForce(ctx, t)
			if err != nil {
				return err
			}
			if cf.json {
				return printJSON(vs)
			}
			fmt.Fprintf(stdout, "Zones in force at %s:\n", t.Format(time.RFC3339))
			table("ZONE\tVERSION\tKIND\tBAND\tNAME", func(w *tabwriter.Writer) {
				for _, v := range vs {
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", v.ZoneID, v.Version, v.Spec.Kind, band(v.Spec), v.Spec.Name)
				}
			})
			return nil
		}
		var all []*truce.Zone
		for cursor := ""; ; {
			zs, next, err := cl.ListZones(ctx, truce.ZoneFilter{Agreement: *ag, Kind: truce.ZoneKind(*kind), State: truce.ZoneState(*state), Cursor: cursor})
			if err != nil {
				return err
			}
			all = append(all, zs...)
			if next == "" {
				break
			}
			cursor = next
		}
		return printList(cf.json, all, all, "", "ZONE\tSTATE\tKIND\tCURRENT\tPENDING\tNAME", func(z *truce.Zone) string {
			return fmt.Sprintf("%s\t%s\t%s\t%d\t%d\t%s", z.ID, z.State, z.Kind, z.Current, z.Pending, z.Name)
		})
	case "show":
		fs := newFlags("zone show", "zone show ZONE_ID")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		z, err := cl.FindZone(ctx, pos[0])
		if err != nil {
			return err
		}
		return printJSON(z)
	case "history":
		fs := newFlags("zone history", "zone history ZONE_ID")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		vs, err := cl.ZoneHistory(ctx, pos[0])
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(vs)
		}
		for _, v := range vs {
			span := "never in force"
			if v.InForceFrom != nil {
				span = "in force from " + v.InForceFrom.Format(time.RFC3339)
				if v.InForceUntil != nil {
					span += " until " + v.InForceUntil.Format(time.RFC3339)
				}
			}
			fmt.Fprintf(stdout, "version %d  %-8s %-10s %q %s  [%s]; proposed by party %s at %s\n", v.Version, v.Action, v.Status, v.Spec.Name, band(v.Spec), span, v.ProposedBy, v.ProposedAt.Format(time.RFC3339))
			for _, d := range v.Decisions {
				word := "rejected"
				if d.Approve {
					word = "approved"
				}
				fmt.Fprintf(stdout, "    %s by party %s at %s (journal %d)%s\n", word, d.PartyID, d.DecidedAt.Format(time.RFC3339), d.JournalIndex, reasonSuffix(d.Reason))
			}
		}
		return nil
	case "at":
		fs := newFlags("zone at", "zone at LON LAT [--alt METRES] [--time T]")
		alt := fs.String("alt", "", "altitude (metres, or 1000ft, FL100); default any")
		at := fs.String("time", "", "time (RFC 3339; default now)")
		cf.add(fs)
		pos, err := parse(fs, rest, 2)
		if err != nil {
			return err
		}
		lon, err1 := strconv.ParseFloat(pos[0], 64)
		lat, err2 := strconv.ParseFloat(pos[1], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("zone at: LON and LAT are numbers")
		}
		altM := math.NaN()
		if *alt != "" {
			if altM, err = strconv.ParseFloat(*alt, 64); err != nil {
				return fmt.Errorf("zone at: --alt is metres")
			}
		}
		t, err := parseTimeOr(*at, time.Now())
		if err != nil {
			return err
		}
		cl, err := cf.client()
		if err != nil {
			return err
		}
		zs, err := cl.ZonesAt(ctx, lon, lat, altM, t)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(zs)
		}
		if len(zs) == 0 {
			fmt.Fprintln(stdout, "No zone in force there.")
		}
		for _, z := range zs {
			fmt.Fprintf(stdout, "%s  %s  %q version %d  %s\n", z.Zone.ID, z.Version.Spec.Kind, z.Version.Spec.Name, z.Version.Version, band(z.Version.Spec))
			if z.Agreement != nil {
				for _, n := range z.Agreement.Notices {
					fmt.Fprintf(stdout, "  notice of withdrawal from agreement %q by party %s, effective %s\n", z.Agreement.Title, n.PartyID, n.EffectiveAt.Format(time.RFC3339))
				}
			}
		}
		return nil
	case "export":
		fs := newFlags("zone export", "zone export [--at T] > zones.geojson")
		at := fs.String("at", "", "time (RFC 3339; default now)")
		cf.add(fs)
		if _, err := parse(fs, rest, 0); err != nil {
			return err
		}
		t, err := parseTimeOr(*at, time.Now())
		if err != nil {
			return err
		}
		cl, err := cf.client()
		if err != nil {
			return err
		}
		vs, err := cl.ZonesInForce(ctx, t)
		if err != nil {
			return err
		}
		return printJSON(api.ZoneFeatures(vs))
	}
	return fmt.Errorf("zone: unknown sub-verb %q", sub)
}

func printDecided(v *truce.ZoneVersion, asJSON bool) error {
	if asJSON {
		return printJSON(v)
	}
	fmt.Fprintf(stdout, "Version %d of zone %s is %s (%d decision(s)).\n", v.Version, v.ZoneID, v.Status, len(v.Decisions))
	if v.InForceFrom != nil {
		fmt.Fprintf(stdout, "In force from %s.\n", v.InForceFrom.Format(time.RFC3339))
	}
	return nil
}

func band(s truce.ZoneSpec) string {
	f, c := "SFC", "UNL"
	if s.FloorM != nil {
		f = strconv.FormatFloat(*s.FloorM, 'f', 0, 64) + "m"
	}
	if s.CeilingM != nil {
		c = strconv.FormatFloat(*s.CeilingM, 'f', 0, 64) + "m"
	}
	return f + "-" + c
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

// repairNote tells the proposer that the geometry was repaired and by how
// much its area changed.
func repairNote(s truce.ZoneSpec) string {
	if !s.Repaired || s.AreaChangeM2 == nil || s.AreaChangeRelative == nil {
		return ""
	}
	return fmt.Sprintf(" (geometry repaired: area changed by %+.3f m², %.2g of the area)", *s.AreaChangeM2, *s.AreaChangeRelative)
}
