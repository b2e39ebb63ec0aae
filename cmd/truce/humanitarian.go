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
	register("humanitarian", "gather the proof of a site's or a movement's notifications and answers for an inquiry", runHumanitarian, "proof")
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
