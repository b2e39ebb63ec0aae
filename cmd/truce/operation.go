package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/operations"
	"github.com/truce-project/truce/partykey"
	"golang.org/x/mod/sumdb/note"
)

// The verbs of package operations: planned operations, their conflicts
// and their joint approval.
func init() {
	register("op", "file, check, list, show, approve and change planned operations", runOp, "file", "check", "list", "show", "approve", "status", "conflicts")
}

func runOp(ctx context.Context, args []string) error {
	var cf clientFlags
	switch sub := args[0]; sub {
	case "file", "check":
		fs := newFlags("op "+sub, "op "+sub+" --agreement ID --name NAME --kind KIND (--plan FILE | --geometry GEOJSON [--buffer M] --floor M --ceiling M --from T --to T) [--with PARTY,..] [--notify PARTY,..] [--aircraft ICAO,..] [--override REASON]")
		var in operations.FileInput
		planFile := fs.String("plan", "", "a JSON file holding the plan (agreement_id, name, kind, volumes, ...); flags given override its fields")
		fs.StringVar(&in.AgreementID, "agreement", "", "agreement id")
		fs.StringVar(&in.Name, "name", "", "operation name")
		kind := fs.String("kind", "", "kind: "+kindList())
		geom := fs.String("geometry", "", "one volume's area: GeoJSON text or @FILE (Polygon; Point with --buffer as radius; LineString with --buffer as half-width)")
		buffer := fs.Float64("buffer", 0, "circle radius or corridor half-width, metres")
		floor := fs.Float64("floor", 0, "band floor, metres AMSL")
		ceil := fs.Float64("ceiling", 0, "band ceiling, metres AMSL")
		from, to := &timeFlag{}, &timeFlag{}
		fs.Var(from, "from", "window start (RFC 3339)")
		fs.Var(to, "to", "window end (RFC 3339)")
		with := fs.String("with", "", "other participating parties (comma-separated ids or slugs): a joint operation")
		notify := fs.String("notify", "", "parties the operation is notified to (comma-separated)")
		aircraft := fs.String("aircraft", "", "ICAO addresses of the aircraft taking part (comma-separated)")
		contacts := fs.String("contacts", "", "contacts")
		fs.StringVar(&in.Override, "override", "", "file despite blocking conflicts, for this reason (journalled and alerted to every party)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		if *planFile != "" {
			b, err := os.ReadFile(*planFile)
			if err != nil {
				return err
			}
			var p operations.FileInput
			if err := json.Unmarshal(b, &p); err != nil {
				return fmt.Errorf("op %s: %s: %w", sub, *planFile, err)
			}
			p.AgreementID, p.Name, p.Override = cmpOr(in.AgreementID, p.AgreementID), cmpOr(in.Name, p.Name), cmpOr(in.Override, p.Override)
			in = p
		}
		if *kind != "" {
			in.Kind = operations.Kind(*kind)
		}
		if *geom != "" {
			g := []byte(*geom)
			if strings.HasPrefix(*geom, "@") {
				if g, err = os.ReadFile((*geom)[1:]); err != nil {
					return err
				}
			}
			v := operations.VolumeInput{Geometry: g, BufferM: *buffer, FloorM: *floor, CeilingM: *ceil}
			if from.t != nil {
				v.Start = *from.t
			}
			if to.t != nil {
				v.End = *to.t
			}
			in.Volumes = append(in.Volumes, v)
		}
		for _, l := range []struct {
			v   string
			dst *[]string
		}{{*with, &in.Participants}, {*notify, &in.NotifyTo}, {*aircraft, &in.Aircraft}} {
			if l.v != "" {
				*l.dst = splitList(l.v)
			}
		}
		if *contacts != "" {
			in.Contacts = *contacts
		}
		if sub == "check" {
			var page api.Page[*operations.Conflict]
			if err := post(ctx, cl, "/api/v1/operations/check", in.Plan, &page); err != nil {
				return err
			}
			if cf.json {
				return printJSON(page.Items)
			}
			printConflicts(page.Items)
			return nil
		}
		var res operations.Result
		if err := post(ctx, cl, "/api/v1/operations", in, &res); err != nil {
			return err
		}
		if cf.json {
			return printJSON(res)
		}
		o := res.Operation
		fmt.Fprintf(stdout, "operation %q %s: %s (version %d, journal %d)\n", o.Name, o.Status, o.ID, o.Version, o.JournalIndex)
		if o.Status == operations.Draft {
			fmt.Fprintf(stdout, "awaiting the approval of every participating party: truce op approve %s\n", o.ID)
		}
		printConflicts(res.Conflicts)
		return nil
	case "list":
		fs := newFlags("op list", "op list [--status S] [--party ID] [--at T]")
		status := fs.String("status", "", "draft, filed, active, completed or cancelled")
		party := fs.String("party", "", "a participating party's id")
		at := &timeFlag{}
		fs.Var(at, "at", "operations with a volume in force at this time (RFC 3339)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		q := url.Values{}
		for k, v := range map[string]string{"status": *status, "party": *party} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if at.t != nil {
			q.Set("at", at.t.Format(time.RFC3339))
		}
		var page api.Page[*operations.Operation]
		if err := get(ctx, cl, "/api/v1/operations?"+q.Encode(), &page); err != nil {
			return err
		}
		if cf.json {
			return printJSON(page.Items)
		}
		table("NAME\tKIND\tSTATUS\tFROM\tTO\tPARTIES\tCONFLICTS\tID", func(w *tabwriter.Writer) {
			for _, o := range page.Items {
				s, e := o.Window()
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", o.Name, o.Kind, o.Status, s.Format(time.RFC3339), e.Format(time.RFC3339), len(o.Participants), o.Conflicts, o.ID)
			}
		})
		return nil
	case "show":
		fs := newFlags("op show", "op show ID")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		var o operations.Operation
		if err := get(ctx, cl, "/api/v1/operations/"+url.PathEscape(pos[0]), &o); err != nil {
			return err
		}
		var page api.Page[*operations.Conflict]
		if err := get(ctx, cl, "/api/v1/operations/"+url.PathEscape(pos[0])+"/conflicts", &page); err != nil {
			return err
		}
		if cf.json {
			return printJSON(map[string]any{"operation": o, "conflicts": page.Items})
		}
		fmt.Fprintf(stdout, "%s  %s  %s  version %d  journal %d\nparty %s  participants %s  notified %s\n", o.Name, o.Kind, o.Status, o.Version, o.JournalIndex,
			o.PartyID, strings.Join(o.Participants, ","), strings.Join(o.NotifyTo, ","))
		for i, v := range o.Volumes {
			fmt.Fprintf(stdout, "volume %d: %g-%g m, %s to %s, bbox %v\n", i+1, v.FloorM, v.CeilingM, v.Start.Format(time.RFC3339), v.End.Format(time.RFC3339), v.BBox)
		}
		for _, a := range o.Approvals {
			fmt.Fprintf(stdout, "approved by %s at %s\n", a.PartyID, a.At.Format(time.RFC3339))
		}
		if o.Override != nil {
			fmt.Fprintf(stdout, "filed over blocking conflicts: %s\n", o.Override.Reason)
		}
		printConflicts(page.Items)
		return nil
	case "approve":
		fs := newFlags("op approve", "op approve ID [--key FILE] [--override REASON]")
		keyFile := fs.String("key", "", "your party's own key file (truce key generate): the statement is built from the operation as read, signed here, and only the signature is sent")
		override := fs.String("override", "", "file despite blocking conflicts, for this reason, if this approval files the operation")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		var o operations.Operation
		if err := get(ctx, cl, "/api/v1/operations/"+url.PathEscape(pos[0]), &o); err != nil {
			return err
		}
		in := operations.ApproveInput{Version: o.Version, Override: *override}
		if *keyFile != "" {
			k, err := partykey.Load(*keyFile)
			if err != nil {
				return err
			}
			if in.Signature, err = signApproval(k.Signer, &o); err != nil {
				return err
			}
		}
		var res operations.Result
		if err := post(ctx, cl, "/api/v1/operations/"+url.PathEscape(o.ID)+"/approve", in, &res); err != nil {
			return err
		}
		if cf.json {
			return printJSON(res)
		}
		fmt.Fprintf(stdout, "operation %q version %d approved (%d of %d parties): %s\n", res.Operation.Name, res.Operation.Version, len(res.Operation.Approvals), len(res.Operation.Participants), res.Operation.Status)
		printConflicts(res.Conflicts)
		return nil
	case "status":
		fs := newFlags("op status", "op status ID active|completed|cancelled")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, args[1:], 2)
		if err != nil {
			return err
		}
		var o operations.Operation
		if err := post(ctx, cl, "/api/v1/operations/"+url.PathEscape(pos[0])+"/status", api.OperationStatus{Status: operations.Status(pos[1])}, &o); err != nil {
			return err
		}
		if cf.json {
			return printJSON(o)
		}
		fmt.Fprintf(stdout, "operation %q is %s\n", o.Name, o.Status)
		return nil
	case "conflicts":
		fs := newFlags("op conflicts", "op conflicts")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		var page api.Page[*operations.Conflict]
		if err := get(ctx, cl, "/api/v1/operation-conflicts", &page); err != nil {
			return err
		}
		if cf.json {
			return printJSON(page.Items)
		}
		printConflicts(page.Items)
		return nil
	}
	return fmt.Errorf("op: unknown sub-verb %q (want file, check, list, show, approve, status or conflicts)", args[0])
}

// signApproval signs the approval statement of o as read, after checking
// that the digest the server put in it is the digest of the plan as read:
// a server that shows one plan and asks a signature of another gets none.
func signApproval(s note.Signer, o *operations.Operation) (string, error) {
	d, err := operations.PlanDigest(o)
	if err != nil {
		return "", err
	}
	if d != o.Digest {
		return "", fmt.Errorf("refusing to sign: operation %s carries digest %s, but its plan as read is %s", o.ID, o.Digest, d)
	}
	msg, err := note.Sign(&note.Note{Text: operations.ApprovalStatement(o)}, s)
	if err != nil {
		return "", err
	}
	return string(msg), nil
}

func printConflicts(cs []*operations.Conflict) {
	if len(cs) == 0 {
		fmt.Fprintln(stdout, "no conflicts")
		return
	}
	table("VOLUME\tWITH\tKIND\tNAME\tPARTY\tBAND (m)\tFROM\tTO\tBLOCKING", func(w *tabwriter.Writer) {
		for _, c := range cs {
			when := func(t *time.Time) string {
				if t == nil {
					return "-"
				}
				return t.Format(time.RFC3339)
			}
			block := "warning"
			if c.Blocking {
				block = "blocking"
				if c.Overridden {
					block = "overridden"
				}
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%g-%g\t%s\t%s\t%s\n", c.Volume+1, c.Against, c.OtherKind, c.OtherName, c.OtherParty,
				c.Overlap.FloorM, c.Overlap.CeilingM, when(c.Overlap.Start), when(c.Overlap.End), block)
		}
	})
}

func kindList() string {
	ks := make([]string, len(operations.Kinds))
	for i, k := range operations.Kinds {
		ks[i] = string(k)
	}
	return strings.Join(ks, ", ")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
