package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/partykey"
)

func init() {
	register("agreement", "create, list and show agreements; propose, approve or reject joint decisions on them; give notice of withdrawal", runAgreement,
		"create", "list", "show", "propose", "approve", "reject", "withdraw")
}

func runAgreement(ctx context.Context, args []string) error {
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
		notice := fs.Duration("notice-period", 0, "notice period of a withdrawal (default 720h, 30 days)")
		leads := fs.String("lead-times", "", "lead time per kind of notification: site/hospital=48h,movement/road_convoy=72h")
		ackWindow := fs.Duration("ack-window", 0, "time a party has to acknowledge a notification (default 24h)")
		reminders := fs.String("reminders", "", "how long before an acknowledgement is due a silent party is reminded: 12h,2h (default 6h)")
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
