package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// CheckpointInfo is what `truce log checkpoint --json` prints.
type CheckpointInfo struct {
	Origin   string `json:"origin"`
	TreeSize int64  `json:"tree_size"`
	RootHash string `json:"root_hash"`
	// Verified is true when --key was given and the policy held;
	// Witnesses are then the witnesses whose cosignatures verified.
	Verified  bool     `json:"verified"`
	Witnesses []string `json:"witnesses,omitempty"`
	Note      string   `json:"note"`
}

// fetchCheckpoint reads the signed note a tiled log serves at
// URL/prefix/checkpoint; it is public, so no token is needed.
func fetchCheckpoint(ctx context.Context, url, prefix string) ([]byte, error) {
	u := strings.TrimSuffix(url, "/")
	if p := strings.Trim(prefix, "/"); p != "" {
		u += "/" + p
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/checkpoint", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/checkpoint: %s", u, resp.Status)
	}
	return b, nil
}

func runCheckpoint(ctx context.Context, args []string) error {
	fs := newFlags("log checkpoint", "log checkpoint [--url URL] [--prefix /log] [--key VKEY [--witness VKEY ...] [--quorum K]] [--json]")
	url := fs.String("url", env("TRUCE_URL", "http://localhost:8080"), "server URL (TRUCE_URL)")
	prefix := fs.String("prefix", "/log", "path of the tlog-tiles log under the URL")
	asJSON := fs.Bool("json", false, "print JSON")
	pf := addPolicyFlags(fs)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	signed, err := fetchCheckpoint(ctx, *url, *prefix)
	if err != nil {
		return err
	}
	info := CheckpointInfo{Note: string(signed)}
	var c ledger.Checkpoint
	if pf.key != "" {
		policy, err := pf.policy()
		if err != nil {
			return err
		}
		if c, info.Witnesses, err = policy.Verify(signed); err != nil {
			return fmt.Errorf("the server's checkpoint does NOT verify: %w", err)
		}
		info.Verified = true
	} else {
		i := strings.LastIndex(string(signed), "\n\n")
		if i < 0 {
			return fmt.Errorf("the server's checkpoint is not a signed note")
		}
		if c, err = ledger.ParseCheckpoint(signed[:i+1]); err != nil {
			return err
		}
	}
	info.Origin, info.TreeSize, info.RootHash = c.Origin, c.Size, ledger.EncodeHash(c.Hash)
	if *asJSON {
		return printJSON(info)
	}
	// The note goes to stdout verbatim, so it can be saved and checked by
	// any C2SP tool; what was verified goes to stderr.
	if _, err := stdout.Write(signed); err != nil {
		return err
	}
	if info.Verified {
		ws := "no witness"
		if len(info.Witnesses) > 0 {
			ws = strings.Join(info.Witnesses, ", ")
		}
		fmt.Fprintf(stderr, "Verified: log %s, tree size %d, root %s, cosigned by %s.\n", c.Origin, c.Size, info.RootHash, ws)
	} else {
		fmt.Fprintln(stderr, "Not verified (give --key, and --witness, to check the signatures).")
	}
	return nil
}

// EntryInfo is what `truce log entry --json` prints.
type EntryInfo struct {
	Record *truce.JournalRecord  `json:"record"`
	Proof  *truce.InclusionProof `json:"proof"`
	// Verified is true when --key was given, the proof's checkpoint held
	// the policy and the entry is included in it.
	Verified bool `json:"verified"`
	// BodyVerified is true when the body was readable and hashes to the
	// entry's body_hash.
	BodyVerified bool `json:"body_verified"`
}

func runEntry(ctx context.Context, args []string) error {
	fs := newFlags("log entry", "log entry N [--key VKEY [--witness VKEY ...] [--quorum K]] [--json]")
	var cf clientFlags
	cf.add(fs)
	pf := addPolicyFlags(fs)
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	index, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || index < 0 {
		return fmt.Errorf("entry index %q: want a number from 0", pos[0])
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	rec, proof, err := c.JournalEntryProof(ctx, index)
	if err != nil {
		return err
	}
	// What is printed is the leaf's own fields, never labels beside it.
	if leaf, err := rec.Entry.Leaf(); err != nil || !bytes.Equal(leaf, rec.Leaf) {
		return fmt.Errorf("label mismatch at index %d: the server's entry fields are not those of its leaf", index)
	}
	info := EntryInfo{Record: rec, Proof: proof}
	if rec.Body != nil {
		if err := ledger.CheckBody(rec.Leaf, rec.Salt, rec.Body); err != nil {
			return fmt.Errorf("body mismatch at index %d: %w", index, err)
		}
		info.BodyVerified = true
	}
	var names []string
	if pf.key != "" {
		if proof == nil {
			return fmt.Errorf("entry %d is not yet covered by a signed checkpoint; try again in a second", index)
		}
		policy, err := pf.policy()
		if err != nil {
			return err
		}
		if names, err = verifyInclusion(rec, proof, policy); err != nil {
			return fmt.Errorf("entry %d does NOT verify: %w", index, err)
		}
		info.Verified = true
	}
	if cf.json {
		return printJSON(info)
	}
	e := rec.Entry
	fmt.Fprintf(stdout, "Entry %d\n  record:    %s %s\n  by:        party %s, user %s\n  time:      %s\n  body_hash: %s\n  leaf:      %s\n",
		rec.Index, e.Kind, e.Subject, e.Party, e.User, e.Time.UTC().Format(time.RFC3339Nano), e.BodyHash, rec.Leaf)
	if proof == nil {
		fmt.Fprintln(stdout, "Inclusion proof: none yet (no signed checkpoint covers this entry)")
	} else {
		fmt.Fprintf(stdout, "Inclusion proof in the tree of size %d (%d hashes, leaf's sibling first):\n", proof.TreeSize, len(proof.Hashes))
		for _, h := range proof.Hashes {
			fmt.Fprintf(stdout, "  %s\n", h)
		}
		fmt.Fprintf(stdout, "Checkpoint:\n  %s\n", strings.ReplaceAll(strings.TrimSuffix(proof.Checkpoint, "\n"), "\n", "\n  "))
	}
	switch {
	case info.Verified:
		ws := "no witness"
		if len(names) > 0 {
			ws = strings.Join(names, ", ")
		}
		fmt.Fprintf(stdout, "Verified: the entry is in the checkpoint, which is signed by the log and cosigned by %s.\n", ws)
	case proof != nil:
		fmt.Fprintln(stdout, "Not verified (give --key, and --witness, to check the proof).")
	}
	if rec.Body == nil {
		fmt.Fprintln(stdout, "Body: not readable with this token")
	} else {
		fmt.Fprintf(stdout, "Body (verified against body_hash, salt %s):\n  %s\n", base64.StdEncoding.EncodeToString(rec.Salt), rec.Body)
	}
	return nil
}

// verifyInclusion checks the proof's checkpoint against the policy and the
// entry's inclusion in it; it returns the witnesses that cosigned.
func verifyInclusion(rec *truce.JournalRecord, p *truce.InclusionProof, policy ledger.Policy) ([]string, error) {
	c, names, err := policy.Verify([]byte(p.Checkpoint))
	if err != nil {
		return nil, err
	}
	if c.Size != p.TreeSize {
		return nil, errors.New("the proof's tree size is not its checkpoint's")
	}
	hs := make([]tlog.Hash, len(p.Hashes))
	for i, s := range p.Hashes {
		if hs[i], err = ledger.DecodeHash(s); err != nil {
			return nil, err
		}
	}
	if err := ledger.VerifyInclusion(rec.Index, c.Size, tlog.RecordHash(rec.Leaf), hs, c.Hash); err != nil {
		return nil, err
	}
	return names, nil
}
