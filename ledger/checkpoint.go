package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrCheckpoint is wrapped by errors about a malformed checkpoint body.
var ErrCheckpoint = errors.New("ledger: malformed checkpoint")

// Checkpoint is a C2SP tlog-checkpoint body: the log's origin, a tree size
// and that tree's root hash, and optional extension lines.
type Checkpoint struct {
	Origin     string
	Size       int64
	Hash       tlog.Hash
	Extensions []string // without their final newline
}

// Body returns the checkpoint's note text, every line newline-terminated.
func (c Checkpoint) Body() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n%d\n%s\n", c.Origin, c.Size, EncodeHash(c.Hash))
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseCheckpoint parses a checkpoint body (the note text, without
// signatures). It is strict: a size with leading zeros, a hash that is not 32
// bytes, an empty line or a missing final newline are errors, so two parties
// can never read one checkpoint two ways.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	var c Checkpoint
	s := string(text)
	if !strings.HasSuffix(s, "\n") {
		return c, fmt.Errorf("%w: no final newline", ErrCheckpoint)
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) < 3 {
		return c, fmt.Errorf("%w: %d lines, want at least 3", ErrCheckpoint, len(lines))
	}
	for _, l := range lines {
		if l == "" {
			return c, fmt.Errorf("%w: empty line", ErrCheckpoint)
		}
	}
	c.Origin = lines[0]
	size, err := parseDecimal(lines[1])
	if err != nil {
		return c, fmt.Errorf("%w: size: %v", ErrCheckpoint, err)
	}
	c.Size = size
	if c.Hash, err = DecodeHash(lines[2]); err != nil {
		return c, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if len(lines) > 3 {
		c.Extensions = lines[3:]
	}
	return c, nil
}

// parseDecimal parses a non-negative ASCII decimal with no sign and no
// leading zeros, the only number form the C2SP text formats allow.
func parseDecimal(s string) (int64, error) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("bad number %q", s)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("bad number %q", s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return n, nil
}

// OpenCheckpoint verifies a signed checkpoint note with the log's verifier,
// ignoring signatures by other keys (cosignatures), and parses its body. The
// origin must equal the verifier's key name, as C2SP tlog-checkpoint logs do.
func OpenCheckpoint(signedNote []byte, logVerifier note.Verifier) (Checkpoint, *note.Note, error) {
	n, err := note.Open(signedNote, note.VerifierList(logVerifier))
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("ledger: checkpoint signature: %w", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if c.Origin != logVerifier.Name() {
		return Checkpoint{}, nil, fmt.Errorf("%w: origin %q is not the log key's name %q", ErrCheckpoint, c.Origin, logVerifier.Name())
	}
	return c, n, nil
}

// originOf returns a note's first line without verifying anything, to pick
// the keys to verify it with.
func originOf(signedNote []byte) (string, error) {
	i := bytes.IndexByte(signedNote, '\n')
	if i <= 0 {
		return "", fmt.Errorf("%w: no origin line", ErrCheckpoint)
	}
	return string(signedNote[:i]), nil
}
