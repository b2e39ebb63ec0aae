package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/partykey"
)

// The verbs of package control: actors, control areas, guarantees and
// breaches.
func init() {
	register("actor", "add, list and show actors (armed forces and groups; show: the ground held over time)", runActor, "add", "list", "show")
	register("control", "add, import, end and map control areas, and their changes between two times; respond to a breach", runControl, "add", "import", "end", "map", "changes", "respond")
	register("guarantee", "add and list guarantees; a guarantor's record (text, CSV or GeoJSON)", runGuarantee, "add", "list", "record")
	register("breach", "list breaches and respond to one", runBreach, "list", "respond")
}

// timeFlag is an optional RFC 3339 time flag.
type timeFlag struct{ t *time.Time }

func (f *timeFlag) String() string {
	if f.t == nil {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	t, err := parseTimeOr(s, time.Time{})
	if err != nil {
		return err
	}
	f.t = &t
	return nil
}

func get(ctx context.Context, cl *api.Client, path string, out any) error {
	_, err := cl.Do(ctx, "GET", path, nil, out, nil)
	return err
}

func post(ctx context.Context, cl *api.Client, path string, body, out any) error {
	_, err := cl.Do(ctx, "POST", path, body, out, nil)
	return err
}

func runActor(ctx context.Context, args []string) error {
	var cf clientFlags
	switch args[0] {
	case "add":
		fs := newFlags("actor add", "actor add --slug SLUG --name-en NAME [--name-ar NAME] --type ACLED-TYPE [--alias A,B] [--parent ACTOR] [--guarantor PARTY [--guarantee-from T] [--guarantee-to T]]")
		var in control.ActorInput
		fs.StringVar(&in.Slug, "slug", "", "short identifier")
		en := fs.String("name-en", "", "name in English")
		ar := fs.String("name-ar", "", "name in Arabic")
		aliases := fs.String("alias", "", "comma-separated aliases")
		fs.StringVar(&in.Parent, "parent", "", "parent actor (id or slug)")
		typ := fs.String("type", "", "ACLED actor type: "+actorTypes())
		fs.StringVar(&in.Guarantor, "guarantor", "", "party answering for the actor (id or slug)")
		from, to := &timeFlag{}, &timeFlag{}
		fs.Var(from, "guarantee-from", "start of the guarantor's answering for it (RFC 3339)")
		fs.Var(to, "guarantee-to", "end of it (RFC 3339)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		in.Names = map[string]string{}
		for lang, n := range map[string]string{"en": *en, "ar": *ar} {
			if n != "" {
				in.Names[lang] = n
			}
		}
		in.Aliases, in.Type, in.GuaranteeFrom, in.GuaranteeTo = splitList(*aliases), control.ActorType(*typ), from.t, to.t
		var a control.Actor
		if err := post(ctx, cl, "/api/v1/actors", in, &a); err != nil {
			return err
		}
		if cf.json {
			return printJSON(a)
		}
		fmt.Fprintf(stdout, "actor %s (%s) added: %s\n", a.Slug, a.Type, a.ID)
		return nil
	case "list":
		fs := newFlags("actor list", "actor list")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		var page api.Page[*control.Actor]
		if err := get(ctx, cl, "/api/v1/actors", &page); err != nil {
			return err
		}
		return printList(cf.json, page.Items, page.Items, "", "SLUG\tTYPE\tNAME\tGUARANTOR\tID", func(a *control.Actor) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", a.Slug, a.Type, a.Name("en"), a.GuarantorID, a.ID)
		})
	case "show":
		fs := newFlags("actor show", "actor show ACTOR")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		var h control.ActorHistory
		if err := get(ctx, cl, "/api/v1/actors/"+url.PathEscape(pos[0])+"/history", &h); err != nil {
			return err
		}
		if cf.json {
			return printJSON(h)
		}
		a := h.Actor
		fmt.Fprintf(stdout, "%s (%s, %s): %s\n", a.Name("en"), a.Slug, a.Type, a.ID)
		if a.GuarantorID != "" {
			var p truce.Party
			if err := get(ctx, cl, "/api/v1/parties/"+url.PathEscape(a.GuarantorID), &p); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "answered for by %s (%s)\n", p.Slug, p.Name)
		}
		fmt.Fprintf(stdout, "%d areas held\n", len(h.Areas))
		table("FROM\tTO\tKM²\tNAME\tID", func(w *tabwriter.Writer) {
			for _, c := range h.Areas {
				to := "-"
				if c.To != nil {
					to = c.To.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%.1f\t%s\t%s\n", c.From.Format(time.RFC3339), to, c.AreaKM2, c.Name, c.ID)
			}
		})
		fmt.Fprintln(stdout, "\nground held over time:")
		table("AT\tKM²", func(w *tabwriter.Writer) {
			for _, p := range h.Ground {
				fmt.Fprintf(w, "%s\t%.1f\n", p.At.Format(time.RFC3339), p.KM2)
			}
		})
		return nil
	}
	return fmt.Errorf("actor: unknown sub-verb %q (want add, list or show)", args[0])
}

// actorSlugs returns each actor's slug by id, for tables that name
// actors.
func actorSlugs(ctx context.Context, cl *api.Client) (map[string]string, error) {
	var page api.Page[*control.Actor]
	if err := get(ctx, cl, "/api/v1/actors", &page); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(page.Items))
	for _, a := range page.Items {
		out[a.ID] = a.Slug
	}
	return out, nil
}

func actorTypes() string {
	s := make([]string, len(control.ActorTypes))
	for i, t := range control.ActorTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func controlFlags(fs *flag.FlagSet, in *control.ControlInput) (from, to *timeFlag, conf *string) {
	fs.StringVar(&in.Actor, "actor", "", "actor holding the area (id or slug)")
	fs.StringVar(&in.Name, "name", "", "name of the area")
	fs.StringVar(&in.Source, "source", "", "source of the claim")
	fs.StringVar(&in.LiberatedFrom, "liberated-from", "", "actor the area was taken from (id or slug)")
	conf = fs.String("confidence", "medium", "low, medium or high")
	from, to = &timeFlag{}, &timeFlag{}
	fs.Var(from, "from", "start of control (RFC 3339)")
	fs.Var(to, "to", "end of control (RFC 3339), if known")
	return from, to, conf
}

func runControl(ctx context.Context, args []string) error {
	var cf clientFlags
	switch args[0] {
	case "respond":
		return breachVerb(ctx, "control", args)
	case "add", "import":
		usage := "control add --actor ACTOR --from T --source TEXT [--confidence C] [--liberated-from ACTOR] [--to T] GEOMETRY.geojson"
		if args[0] == "import" {
			usage = "control import [--actor ACTOR --from T --source TEXT ... as defaults] FEATURES.geojson|AREAS.kml"
		}
		fs := newFlags("control "+args[0], usage)
		var in control.ControlInput
		from, to, conf := controlFlags(fs, &in)
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(pos[0])
		if err != nil {
			return err
		}
		kml := args[0] == "import" && strings.HasSuffix(strings.ToLower(pos[0]), ".kml")
		if !kml && !json.Valid(data) {
			return fmt.Errorf("%s is not JSON", pos[0])
		}
		in.Confidence = control.Confidence(*conf)
		if from.t != nil {
			in.From = *from.t
		}
		in.To = to.t
		if args[0] == "import" {
			var page api.Page[*control.Recorded]
			imp := control.ControlImport{Features: data, Defaults: in}
			if kml {
				imp = control.ControlImport{KML: string(data), Defaults: in}
			}
			if err := post(ctx, cl, "/api/v1/control-areas/import", imp, &page); err != nil {
				return err
			}
			if cf.json {
				return printJSON(page.Items)
			}
			for _, r := range page.Items {
				printRecorded(r)
			}
			return nil
		}
		in.Geometry = data
		var r control.Recorded
		if err := post(ctx, cl, "/api/v1/control-areas", in, &r); err != nil {
			return err
		}
		if cf.json {
			return printJSON(r)
		}
		printRecorded(&r)
		return nil
	case "end":
		fs := newFlags("control end", "control end --at T CONTROL-AREA-ID")
		at := &timeFlag{}
		fs.Var(at, "at", "end of control (RFC 3339)")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if at.t == nil {
			return fmt.Errorf("control end: --at is required")
		}
		var c control.ControlArea
		if err := post(ctx, cl, "/api/v1/control-areas/"+url.PathEscape(pos[0])+"/end", api.ControlEnd{At: *at.t}, &c); err != nil {
			return err
		}
		if cf.json {
			return printJSON(c)
		}
		fmt.Fprintf(stdout, "control area %s ends at %s (version %d)\n", c.ID, c.To.Format(time.RFC3339), c.Version)
		return nil
	case "map":
		fs := newFlags("control map", "control map [--at T]")
		at := fs.String("at", "now", "time of the map (RFC 3339)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		t, err := parseTimeOr(*at, time.Now().UTC())
		if err != nil {
			return err
		}
		var m control.Map
		if err := get(ctx, cl, "/api/v1/control/map?at="+url.QueryEscape(t.Format(time.RFC3339)), &m); err != nil {
			return err
		}
		if cf.json {
			return printJSON(m)
		}
		fmt.Fprintf(stdout, "control at %s: %d areas\n", m.At.Format(time.RFC3339), len(m.Areas))
		table("ACTOR\tAREAS\tKM²\tCONTESTED KM²", func(w *tabwriter.Writer) {
			for _, a := range m.Actors {
				fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\n", a.ActorID, a.Areas, a.KM2, a.ContestedKM2)
			}
		})
		return nil
	case "changes":
		fs := newFlags("control changes", "control changes --from T [--to T]")
		from := fs.String("from", "", "start of the period (RFC 3339; the changes after it)")
		to := fs.String("to", "now", "end of the period (RFC 3339)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		if *from == "" {
			return fmt.Errorf("control changes: --from is required")
		}
		f, err := parseTimeOr(*from, time.Time{})
		if err != nil {
			return err
		}
		t, err := parseTimeOr(*to, time.Now().UTC())
		if err != nil {
			return err
		}
		var ch control.Changes
		q := url.Values{"from": {f.Format(time.RFC3339)}, "to": {t.Format(time.RFC3339)}}
		if err := get(ctx, cl, "/api/v1/control/changes?"+q.Encode(), &ch); err != nil {
			return err
		}
		if cf.json {
			return printJSON(ch)
		}
		slugs, err := actorSlugs(ctx, cl)
		if err != nil {
			return err
		}
		name := func(id string) string { return cmp.Or(slugs[id], id) }
		fmt.Fprintf(stdout, "%d changes from %s to %s\n", len(ch.Movements), ch.From.Format(time.RFC3339), ch.To.Format(time.RFC3339))
		table("AT\tCHANGE\tACTOR\tKM²\tCONTROL AREA", func(w *tabwriter.Writer) {
			for _, mv := range ch.Movements {
				what := "lost"
				if mv.Gained {
					what = "gained"
					if mv.LiberatedFrom != "" {
						what = "gained (liberated from " + name(mv.LiberatedFrom) + ")"
					}
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%.1f\t%s\n", mv.At.Format(time.RFC3339), what, name(mv.ActorID), mv.KM2, mv.ControlAreaID)
			}
		})
		fmt.Fprintln(stdout)
		table("ACTOR\tFROM KM²\tTO KM²\tΔ KM²", func(w *tabwriter.Writer) {
			for _, d := range ch.Actors {
				fmt.Fprintf(w, "%s\t%.1f\t%.1f\t%+.1f\n", name(d.ActorID), d.FromKM2, d.ToKM2, d.DeltaKM2)
			}
		})
		return nil
	}
	return fmt.Errorf("control: unknown sub-verb %q (want add, import, end, map, changes or respond)", args[0])
}

func printRecorded(r *control.Recorded) {
	fmt.Fprintf(stdout, "control area %s: %.2f km² held by %s from %s\n", r.Area.ID, r.Area.AreaKM2, r.Area.ActorID, r.Area.From.Format(time.RFC3339))
	for _, b := range r.Breaches {
		fmt.Fprintf(stdout, "  BREACH %s of guarantee %s: response due from %s by %s\n", b.ID, b.GuaranteeID, strings.Join(b.Guarantors, ", "), b.Due.Format(time.RFC3339))
	}
}

func runGuarantee(ctx context.Context, args []string) error {
	var cf clientFlags
	switch args[0] {
	case "add":
		fs := newFlags("guarantee add", "guarantee add --agreement ID --zone ID --guarantors P,Q --allowed A,B --from T [--to T]")
		var in control.GuaranteeInput
		fs.StringVar(&in.AgreementID, "agreement", "", "agreement id")
		fs.StringVar(&in.ZoneID, "zone", "", "zone of the agreement")
		guarantors := fs.String("guarantors", "", "comma-separated guarantor parties (signatories)")
		allowed := fs.String("allowed", "", "comma-separated actors allowed to hold the area")
		from, to := &timeFlag{}, &timeFlag{}
		fs.Var(from, "from", "start of the guarantee (RFC 3339)")
		fs.Var(to, "to", "end of the guarantee (RFC 3339)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		in.Guarantors, in.Allowed, in.To = splitList(*guarantors), splitList(*allowed), to.t
		if from.t != nil {
			in.From = *from.t
		}
		var g control.Guarantee
		if err := post(ctx, cl, "/api/v1/guarantees", in, &g); err != nil {
			return err
		}
		if cf.json {
			return printJSON(g)
		}
		fmt.Fprintf(stdout, "guarantee %s over %s (%.1f km²), response within %s\n", g.ID, g.Name, g.AreaKM2, time.Duration(g.ResponseWithin))
		return nil
	case "list":
		fs := newFlags("guarantee list", "guarantee list")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		var page api.Page[*control.Guarantee]
		if err := get(ctx, cl, "/api/v1/guarantees", &page); err != nil {
			return err
		}
		return printList(cf.json, page.Items, page.Items, "", "ID\tAREA\tKM²\tGUARANTORS\tALLOWED", func(g *control.Guarantee) string {
			return fmt.Sprintf("%s\t%s\t%.1f\t%s\t%s", g.ID, g.Name, g.AreaKM2, strings.Join(g.Guarantors, ","), strings.Join(g.Allowed, ","))
		})
	case "record":
		fs := newFlags("guarantee record", "guarantee record PARTY [--format text|csv|geojson]")
		format := fs.String("format", "text", "text, csv (a row per breach) or geojson (a feature per breach on the ground of its evidence)")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		path := "/api/v1/guarantors/" + url.PathEscape(pos[0]) + "/record"
		switch *format {
		case "csv", "geojson":
			var b []byte
			if err := get(ctx, cl, path+"."+*format, &b); err != nil {
				return err
			}
			_, err := stdout.Write(b)
			return err
		case "text":
		default:
			return fmt.Errorf("guarantee record: --format is text, csv or geojson")
		}
		var r control.Record
		if err := get(ctx, cl, path, &r); err != nil {
			return err
		}
		if cf.json {
			return printJSON(r)
		}
		fmt.Fprintf(stdout, "%d breaches owed a response: %d answered (%d late), %d unanswered; mean time to respond %.1f h\n",
			len(r.Breaches)-r.Withdrawn, r.Answered, r.Late, r.Unanswered, r.MeanResponseHr)
		if r.Withdrawn > 0 {
			fmt.Fprintf(stdout, "%d breaches withdrawn: their evidence was withdrawn before an answer\n", r.Withdrawn)
		}
		return nil
	}
	return fmt.Errorf("guarantee: unknown sub-verb %q (want add, list or record)", args[0])
}

func runBreach(ctx context.Context, args []string) error {
	return breachVerb(ctx, "breach", args)
}

// breachVerb runs breach's sub-verbs; control respond is breach respond
// under the control verb, beside the control areas that raise breaches.
func breachVerb(ctx context.Context, verb string, args []string) error {
	var cf clientFlags
	switch args[0] {
	case "list":
		fs := newFlags("breach list", "breach list [--open]")
		open := fs.Bool("open", false, "only breaches owed a response (not answered, evidence not withdrawn)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		var page api.Page[*control.Breach]
		if err := get(ctx, cl, fmt.Sprintf("/api/v1/breaches?open=%t", *open), &page); err != nil {
			return err
		}
		return printList(cf.json, page.Items, page.Items, "", "ID\tSTATUS\tACTOR\tGUARANTORS\tDUE\tEVIDENCE", func(b *control.Breach) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", b.ID, b.Status, breachActor(b), strings.Join(b.Guarantors, ","), b.Due.Format(time.RFC3339), breachEvidence(b))
		})
	case "respond":
		fs := newFlags(verb+" respond", verb+" respond --action TEXT [--key FILE | --signature FILE] BREACH-ID")
		var in api.BreachResponse
		fs.StringVar(&in.Action, "action", "", "the action taken")
		keyFile := fs.String("key", "", "your party's own key file (truce key generate): the response statement is checked and signed here, and only the signature is sent")
		sig := fs.String("signature", "", "file holding the signed note of the response statement (omit for a custodial party)")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if *keyFile != "" && *sig != "" {
			return fmt.Errorf("%s respond: give --key or --signature, not both", verb)
		}
		// The server signs and checks the action as trimmed.
		in.Action = strings.TrimSpace(in.Action)
		if *keyFile != "" {
			k, err := partykey.Load(*keyFile)
			if err != nil {
				return err
			}
			var st api.Statement
			if err := post(ctx, cl, "/api/v1/breaches/"+url.PathEscape(pos[0])+"/statement", api.BreachStatement{Action: in.Action}, &st); err != nil {
				return err
			}
			if in.Signature, err = partykey.SignBreachResponse(k, st.Statement, pos[0], in.Action); err != nil {
				return err
			}
		} else if *sig != "" {
			b, err := os.ReadFile(*sig)
			if err != nil {
				return err
			}
			in.Signature = string(b)
		}
		var b control.Breach
		if err := post(ctx, cl, "/api/v1/breaches/"+url.PathEscape(pos[0])+"/response", in, &b); err != nil {
			return err
		}
		if cf.json {
			return printJSON(b)
		}
		late := ""
		if b.Response.Late {
			late = " (late)"
		}
		fmt.Fprintf(stdout, "breach %s answered at %s%s\n", b.ID, b.Response.At.Format(time.RFC3339), late)
		return nil
	}
	return fmt.Errorf("breach: unknown sub-verb %q (want list or respond)", args[0])
}

// breachActor names a breach's actor: its id, else the attribution of
// the incident that raised it (quoted), else "unknown".
func breachActor(b *control.Breach) string {
	switch {
	case b.ActorID != "":
		return b.ActorID
	case b.Attribution != "":
		return fmt.Sprintf("%q", b.Attribution)
	}
	return "unknown"
}

// breachEvidence names what a breach rests on: a control area or an
// incident.
func breachEvidence(b *control.Breach) string {
	if b.IncidentID != "" {
		if b.Withdrawal != nil {
			return "incident " + b.IncidentID + " (withdrawn: " + b.Withdrawal.Reason + ")"
		}
		return "incident " + b.IncidentID
	}
	return "control area " + b.ControlAreaID
}
