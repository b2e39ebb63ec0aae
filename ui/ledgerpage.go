package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// checkpointView is the latest signed checkpoint as the ledger page shows
// it: the note, what it commits to and who signed it.
type checkpointView struct {
	Note    string
	Origin  string
	Size    int64
	Root    string
	Signers []string // the log first, then witnesses' cosignatures
}

func (u *UI) latestCheckpoint(r *http.Request) *checkpointView {
	if u.svc.Checkpoints == nil {
		return nil
	}
	signed, err := u.svc.Checkpoints.LatestCheckpoint(r.Context())
	if err != nil {
		return nil
	}
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	c, err := ledger.ParseCheckpoint(signed[:i+1])
	if err != nil {
		return nil
	}
	v := &checkpointView{Note: string(signed), Origin: c.Origin, Size: c.Size, Root: ledger.EncodeHash(c.Hash)}
	for _, line := range strings.Split(string(signed[i+2:]), "\n") {
		if name, ok := strings.CutPrefix(line, "\u2014 "); ok {
			if sp := strings.IndexByte(name, ' '); sp > 0 {
				v.Signers = append(v.Signers, name[:sp])
			}
		}
	}
	return v
}

// cosignatureView is one witness's cosignature of the latest checkpoint,
// as the ledger page lists them: every configured witness (Verified when
// its cosignature verifies under its key, with the time inside it; Missing
// when the checkpoint carries none), then any other signer, which the
// server cannot vouch for (Unknown).
type cosignatureView struct {
	Name                       string
	At                         time.Time
	Verified, Missing, Unknown bool
}

func (u *UI) cosignatureViews(r *http.Request, cp *checkpointView) []cosignatureView {
	var out []cosignatureView
	known := map[string]bool{}
	for _, w := range u.witnessViews(r) {
		known[w.Name] = true
		out = append(out, cosignatureView{Name: w.Name, At: w.At, Verified: w.Cosigned, Missing: !w.Cosigned})
	}
	if cp != nil && len(cp.Signers) > 1 {
		for _, name := range cp.Signers[1:] {
			if !known[name] {
				known[name] = true
				out = append(out, cosignatureView{Name: name, Unknown: true})
			}
		}
	}
	return out
}

const ledgerPage = 50

func (u *UI) ledger(w http.ResponseWriter, r *http.Request) {
	cp := u.latestCheckpoint(r)
	var start int64
	if s := r.URL.Query().Get("start"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			u.fail(w, r, http.StatusBadRequest, "error.bad_request")
			return
		}
		start = n
	} else if cp != nil {
		start = max(0, cp.Size-ledgerPage+10)
	}
	recs, next, err := u.svc.Journal.ListJournal(r.Context(), start, ledgerPage)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	prev := int64(-1)
	if start > 0 {
		prev = max(0, start-ledgerPage)
	}
	u.render(w, r, http.StatusOK, "ledger", map[string]any{"Checkpoint": cp, "Cosignatures": u.cosignatureViews(r, cp),
		"Entries": recs, "Next": next, "Prev": prev})
}

func (u *UI) ledgerEntry(w http.ResponseWriter, r *http.Request) {
	idx, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || idx < 0 {
		u.fail(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	rec, proof, err := u.svc.Proofs.JournalEntryProof(r.Context(), idx)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	var body any
	if len(rec.Body) > 0 {
		var pretty bytes.Buffer
		if json.Indent(&pretty, rec.Body, "", "  ") == nil {
			body = pretty.String()
		}
	}
	file := proofFileName(rec.Entry.Kind, rec.Entry.Subject)
	u.render(w, r, http.StatusOK, "ledger_entry", map[string]any{"Record": rec, "Proof": proof, "Body": body,
		"LeafHash": ledger.EncodeHash(tlog.RecordHash(rec.Leaf)), "File": file,
		"Command": u.verifyCommand(file)})
}

// verifyCommand is the command that checks a downloaded proof offline: the
// log's key, and the configured witnesses with the quorum of them this
// server asks for.
func (u *UI) verifyCommand(file string) string {
	cmd := "truce log verify-proof " + file + " --key '" + u.cfg.LogVerifierKey + "'"
	for _, w := range u.cfg.Witnesses {
		cmd += " --witness '" + w.Key + "'"
	}
	if len(u.cfg.Witnesses) > 0 {
		cmd += " --quorum " + strconv.Itoa(u.cfg.WitnessQuorum)
	}
	return cmd
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// proofFileName is the name a downloaded proof is saved under.
func proofFileName(kind, subject string) string {
	return "truce-proof-" + unsafeFileChars.ReplaceAllString(kind, "_") + "-" + unsafeFileChars.ReplaceAllString(subject, "_") + ".json"
}

// downloadProof sends the record proofs of every journal entry of one
// record, as `truce log proof` saves them, for `truce log verify-proof`.
func (u *UI) downloadProof(w http.ResponseWriter, r *http.Request) {
	kind, subject := r.PathValue("kind"), r.PathValue("subject")
	p, err := u.svc.Proofs.RecordProofs(r.Context(), kind, subject)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+proofFileName(kind, subject)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(b, '\n'))
}
