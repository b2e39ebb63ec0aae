package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/ledger"
)

func init() {
	register("humanitarian", "gather the proof of a site's notifications and answers for an inquiry", runHumanitarian, "proof")
}

// SiteProofFormat names a site's proof file: every version of the site,
// every transmission of every version and every signed answer, each a
// truce.RecordProofs bundle of record proofs against a signed checkpoint.
// `truce log verify-proof` checks it offline and says, per party, when
// each version was notified to it and whether, when and with which key it
// answered.
const SiteProofFormat = "truce.org/site-proof@v1"

// SiteProof is a site's proof file.
type SiteProof struct {
	Format  string                `json:"format"`
	Site    string                `json:"site"`
	Records []*truce.RecordProofs `json:"records"` // the site's first, then its transmissions'
}

func runHumanitarian(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "proof" {
		return fmt.Errorf("humanitarian: want a sub-verb: proof")
	}
	fs := newFlags("humanitarian proof", "humanitarian proof SITE_ID -o FILE")
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
	p, err := gatherSiteProof(ctx, c, pos[0])
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
	fmt.Fprintf(stdout, "Wrote the proof of site %s (%d records) to %s\nCheck it offline: truce log verify-proof %s --key VKEY\n", pos[0], len(p.Records), *out, *out)
	return nil
}

// gatherSiteProof asks the server for the record proofs of a site and of
// every transmission of every version of it.
func gatherSiteProof(ctx context.Context, c *api.Client, site string) (*SiteProof, error) {
	latest, err := c.FindSite(ctx, site)
	if err != nil {
		return nil, err
	}
	p := &SiteProof{Format: SiteProofFormat, Site: latest.ID}
	rp, err := recordProofs(ctx, c, "site", latest.ID)
	if err != nil {
		return nil, err
	}
	p.Records = append(p.Records, rp)
	for v := int64(1); v <= latest.Version; v++ {
		b, err := c.SiteBoard(ctx, latest.ID, v)
		if err != nil {
			return nil, err
		}
		for _, r := range b.Rows {
			rp, err := recordProofs(ctx, c, "transmission", r.Transmission.ID)
			if err != nil {
				return nil, err
			}
			p.Records = append(p.Records, rp)
		}
	}
	return p, nil
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

// isSiteProof reports whether a file is a site's proof.
func isSiteProof(data []byte) bool {
	var f struct {
		Format string `json:"format"`
	}
	return json.Unmarshal(data, &f) == nil && f.Format == SiteProofFormat
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

// verifySiteProof checks every bundle of a site's proof as verify-proof
// checks one (inclusion, labels, chain, bodies, party signatures with the
// keys the journal recorded), then that every transmission is of this
// site, of a version the proof holds, naming that version's hash; and
// says per party what it proved.
func verifySiteProof(data []byte, policy ledger.Policy) ([]VerifiedRecord, []PartyNotice, error) {
	var p SiteProof
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, nil, err
	}
	if len(p.Records) == 0 || p.Records[0] == nil || p.Records[0].Kind != "site" || p.Records[0].Subject != p.Site {
		return nil, nil, fmt.Errorf("label mismatch: the proof of site %q does not start with that site's record", p.Site)
	}
	var all []VerifiedRecord
	hashes := map[int64]string{} // the site's versions' hashes
	var notices []PartyNotice
	for i, rp := range p.Records {
		raw, err := json.Marshal(rp)
		if err != nil {
			return nil, nil, err
		}
		vs, err := verifyProofFile(raw, policy)
		if err != nil {
			return nil, nil, fmt.Errorf("record %d (%s %s): %w", i+1, rp.Kind, rp.Subject, err)
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
				var s humanitarian.Site
				if b == nil || json.Unmarshal(b, &s) != nil {
					return nil, nil, fmt.Errorf("entry %d of site %s: the proof holds no readable body", vs[j].Index, p.Site)
				}
				hashes[s.Version] = s.Hash
			}
			continue
		}
		if rp.Kind != "transmission" {
			return nil, nil, fmt.Errorf("label mismatch: record %d of a site's proof is a %s", i+1, rp.Kind)
		}
		n, err := transmissionNotice(p.Site, hashes, rp, vs, bodies, policy)
		if err != nil {
			return nil, nil, fmt.Errorf("record %d (transmission %s): %w", i+1, rp.Subject, err)
		}
		notices = append(notices, n)
	}
	sort.SliceStable(notices, func(i, j int) bool { return notices[i].Version < notices[j].Version })
	return all, notices, nil
}

func transmissionNotice(site string, hashes map[int64]string, rp *truce.RecordProofs, vs []VerifiedRecord, bodies [][]byte, policy ledger.Policy) (PartyNotice, error) {
	var first, last humanitarian.Transmission
	if bodies[0] == nil || json.Unmarshal(bodies[0], &first) != nil || json.Unmarshal(bodies[len(bodies)-1], &last) != nil {
		return PartyNotice{}, errors.New("the proof holds no readable body")
	}
	if first.Kind != humanitarian.KindSite || first.RecordID != site || last.RecordID != site {
		return PartyNotice{}, fmt.Errorf("label mismatch: it is a transmission of site %s", first.RecordID)
	}
	if h, ok := hashes[first.RecordVersion]; !ok || h != first.Hash || last.Hash != first.Hash {
		return PartyNotice{}, fmt.Errorf("label mismatch: it names version %d with hash %s, which is not the site's", first.RecordVersion, first.Hash)
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

// printSiteProof prints what a verified site proof shows, per party.
func printSiteProof(site string, vs []VerifiedRecord, ns []PartyNotice) {
	fmt.Fprintf(stdout, "Verified: the proof of site %s (%d journal entries, every one in the signed log).\n", site, len(vs))
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

// runVerifySiteProof is `truce log verify-proof` of a site's proof.
func runVerifySiteProof(name string, data []byte, policy ledger.Policy, asJSON bool) error {
	vs, ns, err := verifySiteProof(data, policy)
	if err != nil {
		return fmt.Errorf("%s does NOT verify: %w", name, err)
	}
	var p SiteProof
	json.Unmarshal(data, &p)
	if asJSON {
		return printJSON(struct {
			Site    string           `json:"site"`
			Records []VerifiedRecord `json:"records"`
			Parties []PartyNotice    `json:"parties"`
		}{p.Site, vs, ns})
	}
	printSiteProof(p.Site, vs, ns)
	return nil
}
