package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// TileHeight is the C2SP tlog-tiles tile height: tiles are 256 hashes wide.
const TileHeight = 8

// TileWidth is the number of hashes in a full tile, and entries in a full
// entry bundle.
const TileWidth = 1 << TileHeight

// TilePath returns the C2SP tlog-tiles path of a tile, relative to the log
// prefix: "tile/<L>/<N>[.p/<W>]", or "tile/entries/<N>[.p/<W>]" when level
// is -1. N is written in 3-digit groups, all but the last prefixed with "x".
func TilePath(level int, n int64, width int) string {
	var b strings.Builder
	b.WriteString("tile/")
	if level < 0 {
		b.WriteString("entries/")
	} else {
		b.WriteString(strconv.Itoa(level))
		b.WriteByte('/')
	}
	groups := []string{fmt.Sprintf("%03d", n%1000)}
	for n /= 1000; n > 0; n /= 1000 {
		groups = append(groups, fmt.Sprintf("x%03d", n%1000))
	}
	for i := len(groups) - 1; i >= 0; i-- {
		b.WriteString(groups[i])
		if i > 0 {
			b.WriteByte('/')
		}
	}
	if width < TileWidth {
		fmt.Fprintf(&b, ".p/%d", width)
	}
	return b.String()
}

// ParseTilePath parses a path as TilePath writes it, strictly, so each tile
// has exactly one path: level -1 means an entry bundle, width 256 a full tile.
func ParseTilePath(path string) (level int, n int64, width int, err error) {
	bad := fmt.Errorf("%w: tile path %q", ErrNotFound, path)
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return 0, 0, 0, bad
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 {
		return 0, 0, 0, bad
	}
	if parts[0] == "entries" {
		level = -1
	} else {
		l, err := parseDecimal(parts[0])
		if err != nil || l > 63 {
			return 0, 0, 0, bad
		}
		level = int(l)
	}
	parts = parts[1:]
	width = TileWidth
	if len(parts) >= 2 && strings.HasSuffix(parts[len(parts)-2], ".p") {
		w, err := parseDecimal(parts[len(parts)-1])
		if err != nil || w < 1 || w >= TileWidth {
			return 0, 0, 0, bad
		}
		width = int(w)
		parts = parts[:len(parts)-1]
		parts[len(parts)-1] = strings.TrimSuffix(parts[len(parts)-1], ".p")
	}
	if len(parts) > 7 { // 7 groups of 3 digits exceed int64 already
		return 0, 0, 0, bad
	}
	for i, p := range parts {
		if i < len(parts)-1 {
			var ok bool
			if p, ok = strings.CutPrefix(p, "x"); !ok || (i == 0 && p == "000") {
				return 0, 0, 0, bad
			}
		}
		if len(p) != 3 {
			return 0, 0, 0, bad
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, 0, 0, bad
			}
		}
		d, _ := strconv.Atoi(p)
		if n > (1<<63-1-int64(d))/1000 {
			return 0, 0, 0, bad
		}
		n = n*1000 + int64(d)
	}
	return level, n, width, nil
}

// tileSpan returns how many leaves a tile's hashes cover (its end index),
// or false if it overflows.
func tileEnd(level int, n int64, width int) (int64, bool) {
	shift := uint(TileHeight * level)
	if level < 0 {
		shift = 0
	}
	if shift >= 63 {
		return 0, false
	}
	units := n*TileWidth + int64(width)
	if n > (1<<62)/TileWidth || units > (1<<63-1)>>shift {
		return 0, false
	}
	return units << shift, true
}

// EncodeBundle encodes entries as a tlog-tiles entry bundle: each entry
// prefixed by its big-endian uint16 length.
func EncodeBundle(entries [][]byte) ([]byte, error) {
	var out []byte
	for _, e := range entries {
		if len(e) > MaxEntrySize {
			return nil, ErrEntryTooLarge
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
	}
	return out, nil
}

// ParseBundle decodes an entry bundle that must hold exactly want entries.
func ParseBundle(data []byte, want int) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, errors.New("ledger: entry bundle: truncated length")
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			return nil, errors.New("ledger: entry bundle: truncated entry")
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
		if len(out) > want {
			return nil, fmt.Errorf("ledger: entry bundle has more than %d entries", want)
		}
	}
	if len(out) != want {
		return nil, fmt.Errorf("ledger: entry bundle has %d entries, want %d", len(out), want)
	}
	return out, nil
}

// TileServer serves a log's checkpoint, tiles and entry bundles at the C2SP
// tlog-tiles paths relative to where it is mounted: /checkpoint,
// /tile/<L>/<N>[.p/<W>] and /tile/entries/<N>[.p/<W>]. Mount it under /log/
// with http.StripPrefix("/log", ...). It serves only what the latest stored
// checkpoint covers, so nothing unsigned is published.
type TileServer struct {
	s Storage
	// CheckpointMaxAge is the Cache-Control max-age of /checkpoint in
	// seconds; the checkpoint changes, so it must be short.
	CheckpointMaxAge int
}

// NewTileServer returns a TileServer over s.
func NewTileServer(s Storage) *TileServer {
	return &TileServer{s: s, CheckpointMaxAge: 2}
}

// ServeHTTP implements http.Handler.
func (ts *TileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpText(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	ctx := r.Context()
	path := strings.TrimPrefix(r.URL.Path, "/")
	signed, err := ts.s.LatestCheckpoint(ctx)
	if errors.Is(err, ErrNotFound) {
		httpText(w, http.StatusNotFound, "no checkpoint yet")
		return
	}
	if err != nil {
		httpText(w, http.StatusInternalServerError, "internal error")
		return
	}
	if path == "checkpoint" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", ts.CheckpointMaxAge))
		w.Write(signed)
		return
	}
	text, _, err := splitNote(signed)
	var cp Checkpoint
	if err == nil {
		cp, err = ParseCheckpoint(text)
	}
	if err != nil {
		httpText(w, http.StatusInternalServerError, "internal error")
		return
	}
	level, n, width, err := ParseTilePath(path)
	if err != nil {
		httpText(w, http.StatusNotFound, "not found")
		return
	}
	end, ok := tileEnd(level, n, width)
	if !ok || end > cp.Size {
		httpText(w, http.StatusNotFound, "tile beyond the tree")
		return
	}
	var data []byte
	if level < 0 {
		var es [][]byte
		if es, err = ts.s.ReadEntries(ctx, n*TileWidth, n*TileWidth+int64(width)); err == nil {
			data, err = EncodeBundle(es)
		}
	} else {
		t := tlog.Tile{H: TileHeight, L: level, N: n, W: width}
		data, err = tlog.ReadTileData(t, HashReader(ctx, ts.s))
	}
	if errors.Is(err, ErrNotFound) {
		httpText(w, http.StatusNotFound, "not found")
		return
	}
	if err != nil {
		httpText(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if width == TileWidth {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// A partial tile never changes, but may be dropped once full.
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	w.Write(data)
}
