package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/ledger"
)

func init() {
	register("log", "verify record proofs offline, audit a log, download proofs (truce log help)", runLog)
}

var logVerbs = map[string]struct {
	summary string
	run     func(ctx context.Context, args []string) error
}{
	"verify-proof": {"check a record proof file offline, with nothing from the server", runVerifyProof},
	"audit":        {"fetch a log's checkpoint, tiles and entries and check them all", runAudit},
	"proof":        {"download the proofs of a record's journal entries", runProof},
	"checkpoint":   {"print the server's latest (cosigned) checkpoint, verified with --key", runCheckpoint},
	"entry":        {"print journal entry N with its inclusion proof and, if readable, its body", runEntry},
}

func runLog(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, "Usage: truce log <verb> [flags]\n\nVerbs:")
		names := make([]string, 0, len(logVerbs))
		for n := range logVerbs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(stdout, "  %-13s %s\n", n, logVerbs[n].summary)
		}
		return nil
	}
	v, ok := logVerbs[args[0]]
	if !ok {
		return fmt.Errorf("log: unknown verb %q (run truce log help)", args[0])
	}
	return v.run(ctx, args[1:])
}

// policyFlags are --key, --witness and --quorum: what a verifier trusts.
type policyFlags struct {
	key       string
	witnesses listFlag
	required  listFlag
	quorum    int
}

func addPolicyFlags(fs *flag.FlagSet) *policyFlags {
	var pf policyFlags
	fs.StringVar(&pf.key, "key", env("TRUCE_LOG_KEY", ""), "the log's verifier key, or a file holding it (TRUCE_LOG_KEY)")
	fs.Var(&pf.witnesses, "witness", "a witness's cosignature verifier key, or a file holding it (repeatable)")
	fs.IntVar(&pf.quorum, "quorum", -1, "how many of the witnesses must have cosigned (default: all given)")
	fs.Var(&pf.required, "require-witness", "a witness whose cosignature every checkpoint must carry, whatever the quorum, as its verifier key or a file holding it (repeatable)")
	return &pf
}

func (p *policyFlags) policy() (ledger.Policy, error) {
	if p.key == "" {
		return ledger.Policy{}, errors.New("give the log verifier key: --key VKEY (or a file such as DATA/log.key.pub), or TRUCE_LOG_KEY")
	}
	keys := make([]string, len(p.witnesses))
	for i, w := range p.witnesses {
		keys[i] = readKeyArg(w)
	}
	q := p.quorum
	if q < 0 {
		q = len(keys)
	}
	policy, err := ledger.NewPolicy(readKeyArg(p.key), keys, q)
	if err != nil || len(p.required) == 0 {
		return policy, err
	}
	req := make([]string, len(p.required))
	for i, w := range p.required {
		req[i] = readKeyArg(w)
	}
	return policy.Require(req...)
}

// VerifiedRecord is what `truce log verify-proof` proved about one entry.
type VerifiedRecord struct {
	Index        int64       `json:"index"`
	Entry        truce.Entry `json:"entry"`
	Origin       string      `json:"origin"`
	TreeSize     int64       `json:"tree_size"`
	RootHash     string      `json:"root_hash"`
	Witnesses    []string    `json:"witnesses"`
	BodyVerified bool        `json:"body_verified"`
	// Signatures are the party signatures in the body that verified with
	// the signing party's journalled key.
	Signatures []string `json:"signatures,omitempty"`
}

func runVerifyProof(ctx context.Context, args []string) error {
	fs := newFlags("log verify-proof", "log verify-proof FILE --key VKEY [--witness VKEY ...] [--quorum K] [--require-witness VKEY ...]")
	pf := addPolicyFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	policy, err := pf.policy()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	if isNotificationProof(data) {
		return runVerifyNotificationProof(pos[0], data, policy, *asJSON)
	}
	vs, err := verifyProofFile(data, policy)
	if err != nil {
		return fmt.Errorf("%s does NOT verify: %w", pos[0], err)
	}
	if *asJSON {
		return printJSON(vs)
	}
	for _, v := range vs {
		ws := "none"
		if len(v.Witnesses) > 0 {
			ws = strings.Join(v.Witnesses, ", ")
		}
		body := "no (no body in the proof)"
		if v.BodyVerified {
			body = "yes"
		}
		fmt.Fprintf(stdout, "Verified: entry %d is in log %s\n  record:     %s %s\n  by:         party %s, user %s\n  time:       %s\n  checkpoint: tree size %d, root %s\n  witnesses:  %s\n  body verified: %s\n",
			v.Index, v.Origin, v.Entry.Kind, v.Entry.Subject, v.Entry.Party, v.Entry.User, v.Entry.Time.UTC().Format(time.RFC3339Nano),
			v.TreeSize, v.RootHash, ws, body)
		for _, s := range v.Signatures {
			fmt.Fprintf(stdout, "  signature verified: %s\n", s)
		}
	}
	return nil
}

func runAudit(ctx context.Context, args []string) error {
	fs := newFlags("log audit", "log audit URL --key VKEY [--witness VKEY ...] [--quorum K] [--require-witness VKEY ...] [--state FILE] [--prefix /log] [--bodies --token TOKEN]")
	pf := addPolicyFlags(fs)
	prefix := fs.String("prefix", "/log", `path of the tlog-tiles log under URL ("" or "/" for a log serving /checkpoint at URL itself)`)
	state := fs.String("state", env("TRUCE_AUDIT_STATE", ""), "file keeping the last verified checkpoint, to prove the log only grew (TRUCE_AUDIT_STATE)")
	token := fs.String("token", env("TRUCE_TOKEN", ""), "API token: also check the record bodies it may read (TRUCE_TOKEN)")
	withBodies := fs.Bool("bodies", false, "check every record body the token may read against its entry, and every party signature in it against the party's journalled key (a token implies it)")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if *withBodies && *token == "" {
		return errors.New("log audit --bodies: give the API token whose readable bodies to check: --token TOKEN, or TRUCE_TOKEN")
	}
	policy, err := pf.policy()
	if err != nil {
		return err
	}
	// The URL may be given with or without the prefix: the API, for body
	// checks, is at the URL without it.
	p := "/" + strings.Trim(*prefix, "/")
	base := strings.TrimSuffix(pos[0], "/")
	if p != "/" {
		base = strings.TrimSuffix(base, p)
	}
	opts := ledger.AuditOptions{Policy: policy, Prefix: p, StatePath: *state}
	last := time.Time{}
	opts.Progress = func(done, total int64) {
		if time.Since(last) > time.Second || done == total {
			last = time.Now()
			// One line each: a carriage return garbles a log file.
			fmt.Fprintf(stderr, "audited %d of %d entries\n", done, total)
		}
	}
	bodies := &bodyChecker{keys: &truce.PartyKeys{}}
	if *token != "" {
		bodies.c = api.NewClient(base, *token)
		opts.Entry = func(index int64, data []byte) error { return bodies.check(ctx, index, data) }
	}
	res, err := ledger.Audit(ctx, base, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Audited log %s: %d entries, root %s\n", res.Checkpoint.Origin, res.Checkpoint.Size, ledger.EncodeHash(res.Checkpoint.Hash))
	if len(res.Witnesses) > 0 {
		fmt.Fprintf(stdout, "Cosigned by: %s\n", strings.Join(res.Witnesses, ", "))
	}
	if res.Previous != nil {
		fmt.Fprintf(stdout, "Consistent with the previously audited tree of size %d.\n", res.Previous.Size)
	} else if *state != "" {
		fmt.Fprintf(stdout, "First audit: the checkpoint is saved in %s and trusted from now on.\n", *state)
	}
	if bodies.c != nil {
		fmt.Fprintf(stdout, "Record bodies checked against their entries: %d (%d not readable with this token).\n", bodies.checked, bodies.hidden)
		fmt.Fprintf(stdout, "Party signatures verified with the parties' journalled keys: %d.\n", bodies.signatures)
	}
	return nil
}

// bodyChecker compares each audited entry with the journal as the API
// serves it: the same leaf bytes, and a body and salt that hash to the
// entry's body_hash wherever the token may read them; each such body must
// name its entry's record, and each party signature in it must verify with
// the key of the party's record journalled last before the signed act (the
// audit reads the entries in order, so keys holds the history up to here).
type bodyChecker struct {
	c                           *api.Client
	page                        []*truce.JournalRecord
	keys                        *truce.PartyKeys
	checked, hidden, signatures int
}

func (b *bodyChecker) check(ctx context.Context, index int64, data []byte) error {
	if len(b.page) == 0 || b.page[0].Index > index || b.page[len(b.page)-1].Index < index {
		rs, _, err := b.c.ListJournal(ctx, index, 500)
		if err != nil {
			return fmt.Errorf("journal from %d: %w", index, err)
		}
		b.page = rs
	}
	if len(b.page) == 0 {
		return fmt.Errorf("%w: the API has no journal entry %d", ledger.ErrAudit, index)
	}
	i := index - b.page[0].Index
	if i < 0 || i >= int64(len(b.page)) || b.page[i].Index != index {
		return fmt.Errorf("%w: the API has no journal entry %d", ledger.ErrAudit, index)
	}
	r := b.page[i]
	if !bytes.Equal(r.Leaf, data) {
		return fmt.Errorf("%w: entry mismatch at index %d: the API's journal entry differs from the log's", ledger.ErrAudit, index)
	}
	if r.Body == nil {
		b.hidden++
		return nil
	}
	if err := ledger.CheckBody(data, r.Salt, r.Body); err != nil {
		return fmt.Errorf("%w: body mismatch at index %d: %v", ledger.ErrAudit, index, err)
	}
	var e truce.Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return fmt.Errorf("%w: entry %d is not a Truce journal entry: %v", ledger.ErrAudit, index, err)
	}
	sigs, err := checkBody(b.keys, index, e, r.Body)
	if err != nil {
		return fmt.Errorf("%w: %v", ledger.ErrAudit, err)
	}
	b.checked++
	b.signatures += len(sigs)
	return nil
}

func runProof(ctx context.Context, args []string) error {
	fs := newFlags("log proof", "log proof KIND ID [-o FILE]")
	var cf clientFlags
	cf.add(fs)
	out := fs.String("o", "", "write the proofs to FILE instead of standard output")
	pos, err := parse(fs, args, 2)
	if err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	var ps *truce.RecordProofs
	// A record changed in the last second is not yet in a signed
	// checkpoint; the server says so with "unavailable".
	for attempt := 0; ; attempt++ {
		ps, err = c.RecordProofs(ctx, pos[0], pos[1])
		if truce.ErrorCode(err) != truce.EUNAVAILABLE || attempt == 4 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(ps, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if *out == "" {
		_, err = stdout.Write(b)
		return err
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %d proof(s) of %s %s to %s\n", len(ps.Proofs), pos[0], pos[1], *out)
	return nil
}
