package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// C2SP signed-note key types: 0x01 is a plain Ed25519 note signature (the
// log's checkpoint signature), 0x04 a tlog-cosignature v1 Ed25519 cosignature.
const (
	algEd25519       = 0x01
	algCosignatureV1 = 0x04
)

// ErrKey is wrapped by errors about a malformed or unsupported key.
var ErrKey = errors.New("ledger: bad key")

func keyID(name string, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func validKeyName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// cosignedMessage is the tlog-cosignature v1 signed message: a header line, a
// time line, then the checkpoint note text.
func cosignedMessage(t uint64, text []byte) []byte {
	msg := fmt.Appendf(nil, "cosignature/v1\ntime %d\n", t)
	return append(msg, text...)
}

// Cosigner signs C2SP tlog-cosignature v1 Ed25519 cosignatures. It is a
// note.Signer, so note.Sign produces cosignature lines directly.
type Cosigner struct {
	name string
	priv ed25519.PrivateKey
	id   uint32
	// Now is the clock for the cosignature timestamp; nil means time.Now.
	Now func() time.Time
}

// NewCosigner parses a signed-note private key ("PRIVATE+KEY+name+hash+key",
// as note.GenerateKey writes) whose key is an Ed25519 seed, type 0x01 or
// 0x04, and returns it as a cosigner. Accepting note.GenerateKey's keys lets a
// party reuse the ordinary key tooling; the cosignature key ID differs from
// the note key ID because the type byte is 0x04.
func NewCosigner(skey string) (*Cosigner, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" || !validKeyName(parts[2]) || len(parts[3]) != 8 {
		return nil, fmt.Errorf("%w: not a signed-note private key", ErrKey)
	}
	if _, err := strconv.ParseUint(parts[3], 16, 32); err != nil {
		return nil, fmt.Errorf("%w: bad key hash", ErrKey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || (raw[0] != algEd25519 && raw[0] != algCosignatureV1) {
		return nil, fmt.Errorf("%w: want an Ed25519 seed of type 0x01 or 0x04", ErrKey)
	}
	priv := ed25519.NewKeyFromSeed(raw[1:])
	pub := priv.Public().(ed25519.PublicKey)
	if h, _ := strconv.ParseUint(parts[3], 16, 32); uint32(h) != keyID(parts[2], append([]byte{raw[0]}, pub...)) {
		return nil, fmt.Errorf("%w: key hash does not match the key", ErrKey)
	}
	return &Cosigner{name: parts[2], priv: priv, id: keyID(parts[2], append([]byte{algCosignatureV1}, pub...))}, nil
}

// GenerateCosignerKey returns a new witness key pair: skey is a note.GenerateKey
// private key (accepted by NewCosigner) and vkey the cosignature verifier key
// "name+hash+base64(0x04 || public key)" that log clients configure.
func GenerateCosignerKey(rand io.Reader, name string) (skey, vkey string, err error) {
	skey, _, err = note.GenerateKey(rand, name)
	if err != nil {
		return "", "", err
	}
	c, err := NewCosigner(skey)
	if err != nil {
		return "", "", err
	}
	return skey, c.VerifierKey(), nil
}

// Name implements note.Signer.
func (c *Cosigner) Name() string { return c.name }

// KeyHash implements note.Signer.
func (c *Cosigner) KeyHash() uint32 { return c.id }

// Sign implements note.Signer: it returns the timestamped_signature (8-byte
// big-endian time, then the Ed25519 signature) over the cosigned message.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	t := now().Unix()
	if t < 0 {
		return nil, errors.New("ledger: clock before 1970")
	}
	sig := binary.BigEndian.AppendUint64(nil, uint64(t))
	return append(sig, ed25519.Sign(c.priv, cosignedMessage(uint64(t), msg))...), nil
}

// VerifierKey returns the cosigner's verifier key, type 0x04.
func (c *Cosigner) VerifierKey() string {
	pub := append([]byte{algCosignatureV1}, c.priv.Public().(ed25519.PublicKey)...)
	return fmt.Sprintf("%s+%08x+%s", c.name, c.id, base64.StdEncoding.EncodeToString(pub))
}

// CosignatureVerifier verifies tlog-cosignature v1 Ed25519 cosignatures; it is
// a note.Verifier.
type CosignatureVerifier struct {
	name string
	id   uint32
	pub  ed25519.PublicKey
}

// NewCosignatureVerifier parses a cosignature verifier key,
// "name+hash+base64(0x04 || 32-byte Ed25519 public key)".
func NewCosignatureVerifier(vkey string) (*CosignatureVerifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 || !validKeyName(parts[0]) || len(parts[1]) != 8 {
		return nil, fmt.Errorf("%w: not a verifier key", ErrKey)
	}
	h, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil {
		return nil, fmt.Errorf("%w: bad key hash", ErrKey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != algCosignatureV1 {
		return nil, fmt.Errorf("%w: want a type 0x04 Ed25519 cosignature key", ErrKey)
	}
	if uint32(h) != keyID(parts[0], raw) {
		return nil, fmt.Errorf("%w: key hash does not match the key", ErrKey)
	}
	return &CosignatureVerifier{name: parts[0], id: uint32(h), pub: ed25519.PublicKey(raw[1:])}, nil
}

// Name implements note.Verifier.
func (v *CosignatureVerifier) Name() string { return v.name }

// KeyHash implements note.Verifier.
func (v *CosignatureVerifier) KeyHash() uint32 { return v.id }

// Verify implements note.Verifier.
func (v *CosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > 1<<63-1 {
		return false
	}
	return ed25519.Verify(v.pub, cosignedMessage(t, msg), sig[8:])
}

// CosignatureTime returns the timestamp inside a cosignature line's
// signature (the base64 of a note.Signature), for policies on freshness.
func CosignatureTime(sig note.Signature) (time.Time, error) {
	raw, err := base64.StdEncoding.DecodeString(sig.Base64)
	if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
		return time.Time{}, fmt.Errorf("ledger: %s: not an Ed25519 cosignature", sig.Name)
	}
	t := binary.BigEndian.Uint64(raw[4:])
	if t > 1<<63-1 {
		return time.Time{}, fmt.Errorf("ledger: %s: cosignature time out of range", sig.Name)
	}
	return time.Unix(int64(t), 0).UTC(), nil
}

// NewVerifier parses a verifier key of either type this package uses: 0x01
// (a log's Ed25519 note key) or 0x04 (a witness's cosignature key).
func NewVerifier(vkey string) (note.Verifier, error) {
	if v, err := NewCosignatureVerifier(vkey); err == nil {
		return v, nil
	}
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return v, nil
}

var sigDash = []byte("— ")

// splitNote splits a signed note into its text (ending in a newline) and its
// signature lines (each without the newline).
func splitNote(signedNote []byte) (text []byte, lines []string, err error) {
	i := bytes.LastIndex(signedNote, []byte("\n\n"))
	if i < 0 {
		return nil, nil, errors.New("ledger: malformed note: no signature block")
	}
	text, sigs := signedNote[:i+1], signedNote[i+2:]
	if len(sigs) == 0 || sigs[len(sigs)-1] != '\n' {
		return nil, nil, errors.New("ledger: malformed note: signature block")
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		if !strings.HasPrefix(l, string(sigDash)) {
			return nil, nil, fmt.Errorf("ledger: malformed signature line %q", l)
		}
		lines = append(lines, l)
	}
	return text, lines, nil
}

// sigKey returns the name and key ID of a signature line, which identify the
// key that made it.
func sigKey(line string) (string, error) {
	name, b64, ok := strings.Cut(strings.TrimPrefix(line, string(sigDash)), " ")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil || len(raw) < 5 || !validKeyName(name) {
		return "", fmt.Errorf("ledger: malformed signature line %q", line)
	}
	return name + "\x00" + string(raw[:4]), nil
}

// MergeSignatures adds signature lines (for example a witness's
// add-checkpoint response) to a signed note. A line from a key that already
// signed replaces that key's earlier line, so a re-cosigning witness does not
// pile up lines; the log's own signature stays first.
func MergeSignatures(signedNote []byte, sigLines []byte) ([]byte, error) {
	text, lines, err := splitNote(signedNote)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, l := range lines {
		k, err := sigKey(l)
		if err != nil {
			return nil, err
		}
		index[k] = i
	}
	for _, l := range strings.Split(string(sigLines), "\n") {
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, string(sigDash)) {
			return nil, fmt.Errorf("ledger: malformed signature line %q", l)
		}
		k, err := sigKey(l)
		if err != nil {
			return nil, err
		}
		if i, ok := index[k]; ok {
			lines[i] = l
			continue
		}
		index[k] = len(lines)
		lines = append(lines, l)
	}
	out := append([]byte{}, text...)
	out = append(out, '\n')
	for _, l := range lines {
		out = append(out, l...)
		out = append(out, '\n')
	}
	return out, nil
}
