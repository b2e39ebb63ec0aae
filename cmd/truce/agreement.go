package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
)

func init() {
	register("agreement", "create, list and show agreements and change their status", runAgreement, "create", "list", "show", "status")
}

func runAgreement(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("agreement: want a sub-verb: create, list, show or status")
	}
	var cf clientFlags
	switch args[0] {
	case "create":
		fs := newFlags("agreement create", "agreement create --title T --signatories us,ru,jo --from RFC3339 [--to RFC3339] [--reference R]")
		var c truce.AgreementCreate
		fs.StringVar(&c.Title, "title", "", "title")
		fs.StringVar(&c.Reference, "reference", "", "reference text or link")
		sigs := fs.String("signatories", "", "comma-separated party slugs or ids")
		from := fs.String("from", "", "effective from (RFC 3339; default now)")
		to := fs.String("to", "", "effective until (RFC 3339; default open-ended)")
		lead := fs.Duration("lead-time", 0, "notification lead time (default 48h)")
		cf.add(fs)
		if _, err := parse(fs, args[1:], 0); err != nil {
			return err
		}
		c.Signatories = splitList(*sigs)
		c.Rules.LeadTime = truce.Duration(*lead)
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
		if cf.json {
			return printJSON(as)
		}
		table("ID\tSTATUS\tFROM\tTITLE", func(w *tabwriter.Writer) {
			for _, a := range as {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.ID, a.Status, a.EffectiveFrom.Format("2006-01-02"), a.Title)
			}
		})
		return nil
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
	case "status":
		fs := newFlags("agreement status", "agreement status ID draft|in_force|suspended|terminated")
		cf.add(fs)
		rest, cl, err := cf.parse(fs, args[1:], 2)
		if err != nil {
			return err
		}
		a, err := cl.SetAgreementStatus(ctx, rest[0], truce.AgreementStatus(rest[1]), 0)
		if err != nil {
			return err
		}
		return showAgreement(a, cf.json)
	}
	return fmt.Errorf("agreement: unknown sub-verb %q (create, list, show or status)", args[0])
}

func showAgreement(a *truce.Agreement, asJSON bool) error {
	if asJSON {
		return printJSON(a)
	}
	to := "open-ended"
	if a.EffectiveTo != nil {
		to = a.EffectiveTo.Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "id:          %s\ntitle:       %s\nstatus:      %s\nsignatories: %s\neffective:   %s to %s\nlead time:   %s (emergency %s)\njournal:     %d\n",
		a.ID, a.Title, a.Status, strings.Join(a.Signatories, ", "), a.EffectiveFrom.Format(time.RFC3339), to,
		time.Duration(a.Rules.LeadTime), time.Duration(a.Rules.EmergencyLeadTime), a.JournalIndex)
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
