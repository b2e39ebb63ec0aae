package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/http"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// ErrAudit is wrapped by every audit failure that shows the log misbehaving
// (as opposed to a network or local error).
var ErrAudit = errors.New("ledger: audit failed")

// ErrFork is wrapped by the audit failure that shows the log was forked: it
// no longer extends the checkpoint the auditor saw before. It wraps ErrAudit.
// Keep the evidence (both signed checkpoints) and tell the other parties.
var ErrFork = fmt.Errorf("%w: fork", ErrAudit)

// AuditOptions configures Audit.
type AuditOptions struct {
	// Policy holds the log key, witness keys and quorum the checkpoint must
	// satisfy.
	Policy Policy
	// Prefix is the path of the tlog-tiles prefix under the base URL:
	// "/log" for Truce, "" for a log serving /checkpoint at its root.
	Prefix string
	// StatePath is a local JSON file with the last checkpoint this auditor
	// verified. If it does not exist the first checkpoint is trusted on
	// first use; after a successful audit it is replaced.
	StatePath string
	// HTTPClient defaults to http.DefaultClient.
	HTTPClient *http.Client
	// Progress, if set, hears how many of the entries have been checked.
	Progress func(done, total int64)
	// Entry, if set, is called with every entry in order; an error stops
	// the audit (Truce checks record bodies here).
	Entry func(index int64, data []byte) error
}

// AuditResult is what a successful audit proved.
type AuditResult struct {
	Checkpoint Checkpoint
	// Witnesses are the names of the witnesses whose cosignatures verified.
	Witnesses []string
	// Previous is the checkpoint from the state file, now proved to be a
	// prefix of Checkpoint; nil on first use.
	Previous *Checkpoint
}

// auditState is the state file's content.
type auditState struct {
	Origin     string `json:"origin"`
	Size       int64  `json:"size"`
	Hash       string `json:"hash"`
	Checkpoint string `json:"checkpoint"`
}

// Audit fetches a tiled log's checkpoint, every tile and every entry bundle,
// recomputes the whole tree from the entries, and checks that every tile
// matches, that the root is the checkpoint's, that the checkpoint satisfies
// the policy, and that the tree extends the checkpoint in the state file.
// The old root is recomputed from the same entries, which proves consistency
// more strongly than a consistency proof would.
func Audit(ctx context.Context, baseURL string, opts AuditOptions) (AuditResult, error) {
	var res AuditResult
	f := fetcher{base: strings.TrimSuffix(baseURL, "/") + "/" + strings.Trim(opts.Prefix, "/"), hc: opts.HTTPClient}
	f.base = strings.TrimSuffix(f.base, "/")
	if f.hc == nil {
		f.hc = http.DefaultClient
	}
	signed, err := f.get(ctx, "checkpoint", 1<<20)
	if err != nil {
		return res, err
	}
	cp, witnesses, err := opts.Policy.Verify(signed)
	if err != nil {
		return res, fmt.Errorf("%w: %v", ErrAudit, err)
	}
	res.Checkpoint, res.Witnesses = cp, witnesses

	var prev *auditState
	if opts.StatePath != "" {
		b, err := os.ReadFile(opts.StatePath)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return res, err
		default:
			prev = new(auditState)
			if err := json.Unmarshal(b, prev); err != nil {
				return res, fmt.Errorf("ledger: audit state %s: %v", opts.StatePath, err)
			}
		}
	}
	var prevHash tlog.Hash
	if prev != nil {
		if prevHash, err = DecodeHash(prev.Hash); err != nil {
			return res, fmt.Errorf("ledger: audit state %s: %v", opts.StatePath, err)
		}
		if prev.Origin != cp.Origin {
			return res, fmt.Errorf("ledger: audit state is for log %q, not %q", prev.Origin, cp.Origin)
		}
		if prev.Size > cp.Size {
			return res, fmt.Errorf("%w: log shrank from size %d to %d", ErrAudit, prev.Size, cp.Size)
		}
		res.Previous = &Checkpoint{Origin: prev.Origin, Size: prev.Size, Hash: prevHash}
	}

	t := treeBuilder{f: &f}
	var prevRoot *tlog.Hash
	if prev != nil && prev.Size == 0 {
		prevRoot = &EmptyTreeHash
	}
	for start := int64(0); start < cp.Size; start += TileWidth {
		width := int(min(TileWidth, cp.Size-start))
		b, err := f.get(ctx, TilePath(-1, start/TileWidth, width), int64(width)*(2+MaxEntrySize))
		if err != nil {
			return res, err
		}
		entries, err := ParseBundle(b, width)
		if err != nil {
			return res, fmt.Errorf("%w: %s: %v", ErrAudit, TilePath(-1, start/TileWidth, width), err)
		}
		for i, e := range entries {
			idx := start + int64(i)
			if opts.Entry != nil {
				if err := opts.Entry(idx, e); err != nil {
					return res, fmt.Errorf("ledger: entry %d: %w", idx, err)
				}
			}
			if err := t.push(ctx, 0, tlog.RecordHash(e)); err != nil {
				return res, err
			}
			if prev != nil && idx+1 == prev.Size {
				h := t.root()
				prevRoot = &h
			}
		}
		if opts.Progress != nil {
			opts.Progress(start+int64(width), cp.Size)
		}
	}
	if err := t.checkPartials(ctx); err != nil {
		return res, err
	}
	if root := t.root(); root != cp.Hash {
		return res, fmt.Errorf("%w: entries hash to root %s, checkpoint says %s", ErrAudit, EncodeHash(root), EncodeHash(cp.Hash))
	}
	if prev != nil && (prevRoot == nil || *prevRoot != prevHash) {
		now := "nothing"
		if prevRoot != nil {
			now = EncodeHash(*prevRoot)
		}
		return res, fmt.Errorf("%w: the log is inconsistent with the last checkpoint seen (size %d, root %s): its first %d entries now hash to %s, so history was rewritten", ErrFork, prev.Size, prev.Hash, prev.Size, now)
	}
	if opts.StatePath != "" {
		b, _ := json.MarshalIndent(auditState{Origin: cp.Origin, Size: cp.Size, Hash: EncodeHash(cp.Hash), Checkpoint: string(signed)}, "", "  ")
		if err := writeFileAtomic(opts.StatePath, b); err != nil {
			return res, err
		}
	}
	return res, nil
}

type fetcher struct {
	base string
	hc   *http.Client
}

func (f *fetcher) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.base+"/"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s: %s", ErrAudit, path, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: GET %s: more than %d bytes", ErrAudit, path, limit)
	}
	return b, nil
}

// treeBuilder recomputes the tree one leaf at a time, keeping per level only
// the hashes of the tile being filled, so memory stays O(256 × levels)
// whatever the log's size. Each tile is compared with the served one when it
// fills (full tiles) or at the end (partial tiles).
type treeBuilder struct {
	f    *fetcher
	bufs [][]tlog.Hash // bufs[l]: hashes of the level-l tile being filled
	done []int64       // done[l]: full level-l tiles already checked
}

func (t *treeBuilder) push(ctx context.Context, level int, h tlog.Hash) error {
	for len(t.bufs) <= level {
		t.bufs = append(t.bufs, nil)
		t.done = append(t.done, 0)
	}
	t.bufs[level] = append(t.bufs[level], h)
	if len(t.bufs[level]) < TileWidth {
		return nil
	}
	if err := t.check(ctx, level, t.done[level], t.bufs[level]); err != nil {
		return err
	}
	top := perfectRoot(t.bufs[level])
	t.bufs[level] = t.bufs[level][:0]
	t.done[level]++
	return t.push(ctx, level+1, top)
}

func (t *treeBuilder) check(ctx context.Context, level int, n int64, hs []tlog.Hash) error {
	path := TilePath(level, n, len(hs))
	got, err := t.f.get(ctx, path, TileWidth*tlog.HashSize)
	if err != nil {
		return err
	}
	want := make([]byte, 0, len(hs)*tlog.HashSize)
	for _, h := range hs {
		want = append(want, h[:]...)
	}
	if !bytes.Equal(got, want) {
		return tileMismatch(path, level, n, got, hs)
	}
	return nil
}

// tileMismatch names the first hash of a served tile that differs from the
// one recomputed from the entries, as the entries it covers: at level 0 that
// is one entry, whose served bytes do not hash to the tree's leaf hash.
func tileMismatch(path string, level int, n int64, got []byte, hs []tlog.Hash) error {
	if len(got) != len(hs)*tlog.HashSize {
		return fmt.Errorf("%w: tile %s has %d bytes, want %d", ErrAudit, path, len(got), len(hs)*tlog.HashSize)
	}
	k := 0
	for k < len(hs) && bytes.Equal(got[k*tlog.HashSize:(k+1)*tlog.HashSize], hs[k][:]) {
		k++
	}
	node := n*TileWidth + int64(k)
	if level == 0 {
		return fmt.Errorf("%w: entry hash mismatch at index %d: the entry does not hash to leaf %d of tile %s", ErrAudit, node, node, path)
	}
	shift := uint(level * TileHeight)
	return fmt.Errorf("%w: tree hash mismatch over entries [%d, %d): hash %d of tile %s does not match the entries", ErrAudit, node<<shift, (node+1)<<shift, k, path)
}

func (t *treeBuilder) checkPartials(ctx context.Context) error {
	for l, hs := range t.bufs {
		if len(hs) > 0 {
			if err := t.check(ctx, l, t.done[l], hs); err != nil {
				return err
			}
		}
	}
	return nil
}

// root returns the tree hash of all leaves pushed so far. The tree splits
// into perfect subtrees by the binary digits of its size, largest first;
// each is a power-of-two run of hashes at one tile level, and RFC 6962 joins
// them right to left.
func (t *treeBuilder) root() tlog.Hash {
	var parts []tlog.Hash
	for l := len(t.bufs) - 1; l >= 0; l-- {
		hs := t.bufs[l]
		for len(hs) > 0 {
			k := 1 << (bits.Len(uint(len(hs))) - 1)
			parts = append(parts, perfectRoot(hs[:k]))
			hs = hs[k:]
		}
	}
	if len(parts) == 0 {
		return EmptyTreeHash
	}
	h := parts[len(parts)-1]
	for i := len(parts) - 2; i >= 0; i-- {
		h = tlog.NodeHash(parts[i], h)
	}
	return h
}

// perfectRoot hashes a power-of-two run of subtree hashes into one.
func perfectRoot(hs []tlog.Hash) tlog.Hash {
	level := append([]tlog.Hash{}, hs...)
	for len(level) > 1 {
		for i := 0; i < len(level)/2; i++ {
			level[i] = tlog.NodeHash(level[2*i], level[2*i+1])
		}
		level = level[:len(level)/2]
	}
	return level[0]
}
