package ledger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// maxWitnessRequest bounds an add-checkpoint body: 63 proof lines and a
// checkpoint with up to 100 signatures fit with room to spare.
const maxWitnessRequest = 64 << 10

// maxProofLines is the C2SP tlog-witness limit on consistency proof lines.
const maxProofLines = 63

// WitnessedLog is one log a witness follows: its origin and the keys its
// checkpoints may be signed with.
type WitnessedLog struct {
	Origin    string
	Verifiers []note.Verifier
}

// witnessState is the persistent record per origin: the latest checkpoint
// the witness cosigned.
type witnessState struct {
	Size int64  `json:"size"`
	Hash string `json:"hash"`
}

// Witness is a C2SP tlog-witness server: an http.Handler for
// POST /add-checkpoint that cosigns checkpoints consistent with the latest
// one it cosigned for the same origin. Its state is a small JSON file,
// replaced atomically and synced before any cosignature leaves.
type Witness struct {
	cosigner  *Cosigner
	logs      map[string]WitnessedLog
	statePath string

	mu    sync.Mutex // serialises check-and-persist, as the spec requires
	state map[string]witnessState
}

// NewWitness returns a witness that cosigns with c for logs, keeping its
// state in statePath (created on first cosignature; read if it exists).
func NewWitness(c *Cosigner, logs []WitnessedLog, statePath string) (*Witness, error) {
	w := &Witness{cosigner: c, logs: map[string]WitnessedLog{}, statePath: statePath, state: map[string]witnessState{}}
	for _, l := range logs {
		if l.Origin == "" || len(l.Verifiers) == 0 {
			return nil, fmt.Errorf("ledger: witnessed log %q needs an origin and a key", l.Origin)
		}
		w.logs[l.Origin] = l
	}
	b, err := os.ReadFile(statePath)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, &w.state); err != nil {
			return nil, fmt.Errorf("ledger: witness state %s: %v", statePath, err)
		}
	}
	return w, nil
}

// Latest returns the size and root hash of the latest checkpoint the witness
// cosigned for origin; ok is false if it never cosigned one.
func (w *Witness) Latest(origin string) (size int64, hash tlog.Hash, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st, ok := w.state[origin]
	if !ok {
		return 0, tlog.Hash{}, false
	}
	h, _ := DecodeHash(st.Hash)
	return st.Size, h, true
}

// Handler returns the witness's routes, POST /add-checkpoint, for mounting
// under a submission prefix.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", w.addCheckpoint)
	return mux
}

func httpText(rw http.ResponseWriter, code int, msg string) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.WriteHeader(code)
	io.WriteString(rw, msg+"\n")
}

// addRequest is a parsed add-checkpoint body.
type addRequest struct {
	old   int64
	proof []tlog.Hash
	note  []byte
}

// parseAddCheckpoint parses an add-checkpoint request body: "old N", up to
// 63 base64 hash lines, an empty line, and the signed checkpoint.
func parseAddCheckpoint(body []byte) (addRequest, error) {
	var req addRequest
	r := bufio.NewReader(bytes.NewReader(body))
	line, err := r.ReadString('\n')
	if err != nil {
		return req, errors.New("missing old size line")
	}
	num, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "old ")
	if !ok {
		return req, errors.New(`first line must be "old <size>"`)
	}
	if req.old, err = parseDecimal(num); err != nil {
		return req, err
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return req, errors.New("missing empty line before the checkpoint")
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			break
		}
		if len(req.proof) == maxProofLines {
			return req, errors.New("more than 63 consistency proof lines")
		}
		h, err := DecodeHash(line)
		if err != nil {
			return req, err
		}
		req.proof = append(req.proof, h)
	}
	req.note, _ = io.ReadAll(r)
	return req, nil
}

func (w *Witness) addCheckpoint(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxWitnessRequest))
	if err != nil {
		httpText(rw, http.StatusBadRequest, "request body too large or unreadable")
		return
	}
	req, err := parseAddCheckpoint(body)
	if err != nil {
		httpText(rw, http.StatusBadRequest, "bad request: "+err.Error())
		return
	}
	origin, err := originOf(req.note)
	if err != nil {
		httpText(rw, http.StatusBadRequest, "bad checkpoint")
		return
	}
	lg, ok := w.logs[origin]
	if !ok {
		httpText(rw, http.StatusNotFound, "unknown log origin")
		return
	}
	n, err := note.Open(req.note, note.VerifierList(lg.Verifiers...))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified), errors.As(err, &invalid):
		httpText(rw, http.StatusForbidden, "checkpoint not signed by a known key of the log")
		return
	case err != nil:
		httpText(rw, http.StatusBadRequest, "bad checkpoint note")
		return
	}
	cp, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		httpText(rw, http.StatusBadRequest, err.Error())
		return
	}
	if req.old > cp.Size {
		httpText(rw, http.StatusBadRequest, "old size is beyond the checkpoint size")
		return
	}
	if req.old == 0 && len(req.proof) != 0 {
		httpText(rw, http.StatusBadRequest, "old size 0 takes no consistency proof")
		return
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	cur, have := w.state[origin]
	if req.old != cur.Size {
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", cur.Size)
		return
	}
	curHash := EmptyTreeHash
	if have {
		if curHash, err = DecodeHash(cur.Hash); err != nil {
			httpText(rw, http.StatusInternalServerError, "witness state is corrupt")
			return
		}
	}
	switch {
	case req.old == cp.Size:
		if len(req.proof) != 0 {
			httpText(rw, http.StatusUnprocessableEntity, "equal sizes take no consistency proof")
			return
		}
		if (have || cp.Size > 0) && cp.Hash != curHash {
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(http.StatusConflict)
			fmt.Fprintf(rw, "%d\n", cur.Size)
			return
		}
	case req.old > 0:
		if err := VerifyConsistency(req.old, cp.Size, req.proof, curHash, cp.Hash); err != nil {
			httpText(rw, http.StatusUnprocessableEntity, "consistency proof does not verify")
			return
		}
	}
	next := witnessState{Size: cp.Size, Hash: EncodeHash(cp.Hash)}
	if !have || next != cur {
		if err := w.persistLocked(origin, next); err != nil {
			httpText(rw, http.StatusInternalServerError, "witness could not persist its state")
			return
		}
	}
	signed, err := note.Sign(&note.Note{Text: n.Text}, w.cosigner)
	if err != nil {
		httpText(rw, http.StatusInternalServerError, "witness could not sign")
		return
	}
	_, lines, err := splitNote(signed)
	if err != nil || len(lines) != 1 {
		httpText(rw, http.StatusInternalServerError, "witness could not sign")
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(rw, lines[0]+"\n")
}

// persistLocked writes the new state to a temporary file, syncs it, renames
// it over the state file and syncs the directory, so a crash leaves either
// the old state or the new one, never a rolled-back or torn file.
func (w *Witness) persistLocked(origin string, st witnessState) error {
	next := make(map[string]witnessState, len(w.state)+1)
	for k, v := range w.state {
		next[k] = v
	}
	next[origin] = st
	b, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(w.statePath, b); err != nil {
		return err
	}
	w.state = next
	return nil
}

// WriteFileAtomic replaces the file at path with data so that a crash
// leaves the old content or the new, never a mix: a synced temporary file
// renamed over it, and the directory synced.
func WriteFileAtomic(path string, data []byte) error { return writeFileAtomic(path, data) }

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ErrWitness is wrapped by WitnessClient errors; WitnessError carries the
// HTTP status.
var ErrWitness = errors.New("ledger: witness refused the checkpoint")

// WitnessError is a witness's non-200 answer.
type WitnessError struct {
	Status int
	Body   string
}

func (e *WitnessError) Error() string {
	return fmt.Sprintf("witness answered %d: %s", e.Status, strings.TrimSpace(e.Body))
}

func (e *WitnessError) Unwrap() error { return ErrWitness }

// WitnessClient pushes checkpoints to one C2SP tlog-witness and collects its
// cosignature. It remembers the size the witness last cosigned, and learns
// it from a 409 answer, so it sends the right consistency proof.
type WitnessClient struct {
	// URL is the witness's submission prefix; the client posts to
	// URL + "/add-checkpoint".
	URL string
	// Verifier is the witness's cosignature key; answers that do not
	// verify with it are rejected.
	Verifier note.Verifier
	// HTTPClient defaults to http.DefaultClient.
	HTTPClient *http.Client

	mu   sync.Mutex
	size int64
}

// ProveFunc returns the consistency proof from tree size old to the size of
// the checkpoint being pushed.
type ProveFunc func(ctx context.Context, old int64) ([]tlog.Hash, error)

// AddCheckpoint sends the signed checkpoint c with a consistency proof from
// the witness's last size and returns the witness's verified cosignature
// line(s), ready for MergeSignatures.
func (wc *WitnessClient) AddCheckpoint(ctx context.Context, signedNote []byte, c Checkpoint, prove ProveFunc) ([]byte, error) {
	wc.mu.Lock()
	defer wc.mu.Unlock()
	hc := wc.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	for attempt := 0; ; attempt++ {
		old := wc.size
		if old > c.Size {
			return nil, fmt.Errorf("%w: witness has size %d, beyond checkpoint size %d", ErrWitness, old, c.Size)
		}
		proof, err := prove(ctx, old)
		if err != nil {
			return nil, err
		}
		var body bytes.Buffer
		fmt.Fprintf(&body, "old %d\n", old)
		for _, h := range proof {
			body.WriteString(EncodeHash(h) + "\n")
		}
		body.WriteString("\n")
		body.Write(signedNote)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(wc.URL, "/")+"/add-checkpoint", &body)
		if err != nil {
			return nil, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxWitnessRequest))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		switch {
		case resp.StatusCode == http.StatusOK:
			return wc.checkCosignature(signedNote, respBody, c)
		case resp.StatusCode == http.StatusConflict && attempt == 0 &&
			strings.HasPrefix(resp.Header.Get("Content-Type"), "text/x.tlog.size"):
			size, err := parseDecimal(strings.TrimSuffix(string(respBody), "\n"))
			if err != nil || size == old {
				return nil, &WitnessError{resp.StatusCode, string(respBody)}
			}
			wc.size = size
			continue
		default:
			return nil, &WitnessError{resp.StatusCode, string(respBody)}
		}
	}
}

// checkCosignature keeps the response lines that are valid cosignatures by
// the witness's key on c, and records the witness's new size.
func (wc *WitnessClient) checkCosignature(signedNote, resp []byte, c Checkpoint) ([]byte, error) {
	text := c.Body()
	msg := append(append(append([]byte{}, text...), '\n'), resp...)
	n, err := note.Open(msg, note.VerifierList(wc.Verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: cosignature does not verify: %v", ErrWitness, err)
	}
	var out bytes.Buffer
	for _, s := range n.Sigs {
		fmt.Fprintf(&out, "— %s %s\n", s.Name, s.Base64)
	}
	wc.size = c.Size
	return out.Bytes(), nil
}
