// Package partykey is the client side of a key that a party holds itself:
// it writes and reads the key file (the C2SP signed-note signer key format
// of golang.org/x/mod/sumdb/note: "PRIVATE+KEY+name+hash+base64"), and
// signs decision statements the server hands over only after checking
// that they say what the user asked to sign.
//
// The server never sees the private key: the CLI (truce key, truce zone
// approve --key) and the demo's own scripted decisions sign here, the web
// UI signs in the browser (ui/static/sign.js), and the server receives and
// checks only the signed note (C2SP signed-note, https://c2sp.org/signed-note).
package partykey

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/truce-project/truce"
	"golang.org/x/mod/sumdb/note"
)

// MaxKeyFile bounds what Load reads: a signer key is under 200 bytes.
const MaxKeyFile = 4 << 10

// Generate returns a new Ed25519 key pair named after the party's slug:
// the signer key (private) and the verifier key (public), both in the
// C2SP signed-note formats.
func Generate(slug string) (skey, vkey string, err error) {
	if !truce.ValidSlug(slug) {
		return "", "", fmt.Errorf("%q is not a party slug (lower-case letters, digits and hyphens)", slug)
	}
	return note.GenerateKey(rand.Reader, slug)
}

// Write writes a key pair: the signer key to path with mode 0600 (it
// refuses to replace an existing file, so a key is never lost by a
// mistyped command) and the verifier key to path+".pub".
func Write(path, skey, vkey string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(path + ".pub"); err == nil {
		return fmt.Errorf("%s already exists: choose another --out", path+".pub")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists: choose another --out (a key file is never overwritten)", path)
	} else if err != nil {
		return err
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
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
	return os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644)
}

// Key is a party's own key loaded from its file.
type Key struct {
	Signer note.Signer
	// Verifier is the verifier key the server must have on record for
	// the party: the signer's name, hash and public key.
	Verifier string
}

// Load reads a signer key file written by Write (or by
// note.GenerateKey). It refuses a file that other users may read.
func Load(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s can be read by other users (mode %04o): chmod 600 it", path, st.Mode().Perm())
	}
	b := make([]byte, MaxKeyFile+1)
	n, _ := f.Read(b)
	if n > MaxKeyFile {
		return nil, fmt.Errorf("%s is not a key file (too long)", path)
	}
	skey := strings.TrimSpace(string(b[:n]))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("%s is not a signer key file (PRIVATE+KEY+name+hash+key)", path)
	}
	return &Key{Signer: s, Verifier: verifierOf(skey)}, nil
}

// verifierOf derives the verifier key from a valid signer key: the same
// name and hash, and the Ed25519 public key of the seed.
func verifierOf(skey string) string {
	// note.NewSigner has validated skey; NewEd25519VerifierKey computes
	// the same hash from the name and public key.
	parts := strings.SplitN(skey, "+", 5)
	name := parts[2]
	b, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(b) != 1+ed25519.SeedSize {
		return ""
	}
	priv := ed25519.NewKeyFromSeed(b[1:])
	v, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		return ""
	}
	return v
}

// Statement is a zone decision statement, parsed.
type Statement struct {
	Zone    string
	Version int
	Approve bool
	Digest  string
}

// ParseStatement parses the text of truce.DecisionStatement.
func ParseStatement(text string) (*Statement, error) {
	lines := strings.Split(text, "\n")
	if len(lines) != 6 || lines[5] != "" || lines[0] != "truce zone decision v1" {
		return nil, errors.New("the server's statement is not a zone decision statement (truce zone decision v1)")
	}
	var s Statement
	field := func(line, name string) (string, error) {
		v, ok := strings.CutPrefix(line, name+" ")
		if !ok || v == "" || strings.ContainsAny(v, " \t") {
			return "", fmt.Errorf("the server's statement has no %s line", name)
		}
		return v, nil
	}
	var err error
	if s.Zone, err = field(lines[1], "zone"); err != nil {
		return nil, err
	}
	v, err := field(lines[2], "version")
	if err != nil {
		return nil, err
	}
	if s.Version, err = strconv.Atoi(v); err != nil || s.Version < 1 {
		return nil, errors.New("the server's statement has no valid version")
	}
	d, err := field(lines[3], "decision")
	if err != nil {
		return nil, err
	}
	switch d {
	case "approve":
		s.Approve = true
	case "reject":
	default:
		return nil, fmt.Errorf("the server's statement has decision %q", d)
	}
	if s.Digest, err = field(lines[4], "digest"); err != nil {
		return nil, err
	}
	return &s, nil
}

// SignZoneDecision signs statement for a decision on version v (as the
// client read it from the zone's history) after checking that the
// statement names that zone, that version and that decision, and carries
// the digest of the version's content computed here: a server that hands
// over another zone's statement, another version's, the opposite decision
// or a digest of other content gets no signature.
func SignZoneDecision(k *Key, statement string, v *truce.ZoneVersion, approve bool) (string, error) {
	s, err := ParseStatement(statement)
	if err != nil {
		return "", err
	}
	word := map[bool]string{true: "approve", false: "reject"}
	switch {
	case s.Zone != v.ZoneID:
		return "", fmt.Errorf("refusing to sign: the server's statement names zone %s, not %s", s.Zone, v.ZoneID)
	case s.Version != v.Version:
		return "", fmt.Errorf("refusing to sign: the server's statement names version %d, not %d", s.Version, v.Version)
	case s.Approve != approve:
		return "", fmt.Errorf("refusing to sign: the server's statement says %s, not %s", word[s.Approve], word[approve])
	}
	digest, err := v.Digest()
	if err != nil {
		return "", err
	}
	if s.Digest != digest {
		return "", fmt.Errorf("refusing to sign: the server's statement carries digest %s, but version %d as read is %s", s.Digest, v.Version, digest)
	}
	// The statement parsed and matched; it must also be exactly the text
	// the format gives (no extra spaces or a different line order).
	if want, err := truce.DecisionStatement(v, approve); err != nil || want != statement {
		return "", errors.New("refusing to sign: the server's statement is not in the decision statement format")
	}
	msg, err := note.Sign(&note.Note{Text: statement}, k.Signer)
	if err != nil {
		return "", err
	}
	return string(msg), nil
}

// ZoneDecider is what a client needs to decide on a zone with its own
// key: the zone's history (to read the version decided on), the server's
// statement, and the decision itself. api.Client implements it.
type ZoneDecider interface {
	ZoneHistory(ctx context.Context, id string) ([]*truce.ZoneVersion, error)
	ZoneDecisionStatement(ctx context.Context, zoneID string, version int, approve bool) (string, error)
	DecideZone(ctx context.Context, zoneID string, version int, d truce.ZoneDecision) (*truce.ZoneVersion, error)
}

// DecideZone decides on version (the pending one when 0) of a zone with
// the party's own key: it reads the version, fetches the statement,
// checks and signs it here, and submits only the signature.
func DecideZone(ctx context.Context, c ZoneDecider, k *Key, zoneID string, version int, approve bool, reason string) (*truce.ZoneVersion, error) {
	vs, err := c.ZoneHistory(ctx, zoneID)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		for _, v := range vs {
			if v.Status == truce.VersionProposed {
				version = v.Version
			}
		}
		if version == 0 {
			return nil, fmt.Errorf("zone %s has no version awaiting decisions", zoneID)
		}
	}
	if version < 1 || version > len(vs) || vs[version-1].Version != version || vs[version-1].ZoneID != zoneID {
		return nil, fmt.Errorf("zone %s has no version %d", zoneID, version)
	}
	st, err := c.ZoneDecisionStatement(ctx, zoneID, version, approve)
	if err != nil {
		return nil, err
	}
	sig, err := SignZoneDecision(k, st, vs[version-1], approve)
	if err != nil {
		return nil, err
	}
	return c.DecideZone(ctx, zoneID, version, truce.ZoneDecision{Approve: approve, Reason: reason, Signature: sig})
}

// Local is a ZoneService used in-process (the demo's scripted decisions,
// tests) as a ZoneDecider: it gives the statement as the API's statement
// endpoint does, so that a self-held key signs through DecideZone, the
// same checks as the CLI's.
type Local struct{ truce.ZoneService }

// ZoneDecisionStatement implements ZoneDecider.
func (l Local) ZoneDecisionStatement(ctx context.Context, zoneID string, version int, approve bool) (string, error) {
	vs, err := l.ZoneHistory(ctx, zoneID)
	if err != nil {
		return "", err
	}
	if version < 1 || version > len(vs) {
		return "", truce.Errorf(truce.ENOTFOUND, "No version %d.", version)
	}
	return truce.DecisionStatement(vs[version-1], approve)
}

// RotationNote returns the signed note that announces next as the key
// that replaces cur (truce.KeyRotationText), signed by both: cur
// authorises the change, next proves it is held.
func RotationNote(cur, next *Key) (string, error) {
	if cur.Signer.Name() != next.Signer.Name() {
		return "", fmt.Errorf("the new key is named %s, the current one %s", next.Signer.Name(), cur.Signer.Name())
	}
	msg, err := note.Sign(&note.Note{Text: truce.KeyRotationText(cur.Signer.Name(), cur.Verifier, next.Verifier)}, cur.Signer, next.Signer)
	if err != nil {
		return "", err
	}
	return string(msg), nil
}

// AgreementDecider is what a client needs to decide on an agreement's
// proposal with its own key: the agreement (to read the proposal decided
// on) and the decision itself. api.Client and zones.Service implement it.
type AgreementDecider interface {
	FindAgreement(ctx context.Context, id string) (*truce.Agreement, error)
	DecideAgreement(ctx context.Context, id string, proposal int, d truce.ZoneDecision) (*truce.Agreement, error)
}

// DecideAgreement decides on proposal number (the pending one when 0) of
// an agreement with the party's own key: it reads the agreement, builds
// the statement here from the proposal as read (its action and the
// digest of the text it signs), signs it, and submits only the signature.
// A statement the server would build from another text does not verify.
func DecideAgreement(ctx context.Context, c AgreementDecider, k *Key, id string, number int, approve bool, reason string) (*truce.Agreement, error) {
	ag, err := c.FindAgreement(ctx, id)
	if err != nil {
		return nil, err
	}
	p := ag.Pending()
	if p == nil || (number != 0 && p.Number != number) {
		return nil, fmt.Errorf("agreement %s has no proposal %d awaiting decisions", id, number)
	}
	st, err := truce.AgreementDecisionStatement(ag.ID, p, approve)
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: st}, k.Signer)
	if err != nil {
		return nil, err
	}
	return c.DecideAgreement(ctx, id, p.Number, truce.ZoneDecision{Approve: approve, Reason: reason, Signature: string(msg)})
}

// Withdrawer is what a client needs to give notice of withdrawal with its
// own key.
type Withdrawer interface {
	FindAgreement(ctx context.Context, id string) (*truce.Agreement, error)
	GiveNotice(ctx context.Context, id string, n truce.NoticeCreate) (*truce.Agreement, error)
}

// GiveNotice gives party partyID's notice of withdrawal from an agreement
// with the party's own key: it signs the withdrawal statement of the
// agreement's text as read here.
func GiveNotice(ctx context.Context, c Withdrawer, k *Key, id, partyID, reason string) (*truce.Agreement, error) {
	ag, err := c.FindAgreement(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := truce.WithdrawalStatement(ag, partyID)
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: st}, k.Signer)
	if err != nil {
		return nil, err
	}
	return c.GiveNotice(ctx, id, truce.NoticeCreate{Reason: reason, Signature: string(msg)})
}

// SignBreachResponse signs statement, the server's text for answering
// breach breachID with action (truce.BreachResponseStatement), after
// checking that it is that format, names that breach and carries that
// action (written out, or its SHA-256 for an action of several lines):
// a server that hands over another breach's statement, or another
// action, gets no signature.
func SignBreachResponse(k *Key, statement, breachID, action string) (string, error) {
	lines := strings.Split(statement, "\n")
	if len(lines) != 7 || lines[6] != "" || lines[0] != "truce guarantee breach response" {
		return "", errors.New("refusing to sign: the server's statement is not a breach response statement")
	}
	field := func(line, name string) string {
		v, _ := strings.CutPrefix(line, name+" ")
		return v
	}
	if got := field(lines[1], "breach"); got != breachID {
		return "", fmt.Errorf("refusing to sign: the server's statement names breach %q, not %s", got, breachID)
	}
	guarantee, actor := field(lines[2], "guarantee"), field(lines[3], "actor")
	for _, v := range []string{guarantee, actor} {
		if v == "" || strings.ContainsAny(v, " \t") {
			return "", errors.New("refusing to sign: the server's statement is not in the breach response format")
		}
	}
	var want string
	if incident, ok := strings.CutPrefix(lines[4], "incident "); ok {
		if actor == "unknown" {
			actor = ""
		}
		want = truce.BreachResponseStatement(breachID, guarantee, actor, "", incident, action)
	} else {
		want = truce.BreachResponseStatement(breachID, guarantee, actor, field(lines[4], "control area"), "", action)
	}
	if want != statement {
		return "", errors.New("refusing to sign: the server's statement does not carry the action as given, or is not in the format")
	}
	msg, err := note.Sign(&note.Note{Text: statement}, k.Signer)
	if err != nil {
		return "", err
	}
	return string(msg), nil
}

// SignIncidentResponse signs the statement the server gave for answering
// incident incidentID with stance and text, after checking that it is
// an incident response statement naming that incident and carrying the
// stance and text as given (truce.IncidentResponseStatement): the
// version and party it names are the server's to state, the rest is the
// user's.
func SignIncidentResponse(k *Key, statement, incidentID, stance, text string) (string, error) {
	lines := strings.Split(statement, "\n")
	if len(lines) != 7 || lines[6] != "" || lines[0] != "truce incident response" {
		return "", errors.New("refusing to sign: the server's statement is not an incident response statement")
	}
	if got, _ := strings.CutPrefix(lines[1], "incident "); got != incidentID {
		return "", fmt.Errorf("refusing to sign: the server's statement names incident %q, not %s", got, incidentID)
	}
	vs, _ := strings.CutPrefix(lines[2], "version ")
	version, err := strconv.Atoi(vs)
	party, _ := strings.CutPrefix(lines[3], "party ")
	if err != nil || party == "" || strings.ContainsAny(party, " \t") {
		return "", errors.New("refusing to sign: the server's statement is not in the incident response format")
	}
	if truce.IncidentResponseStatement(incidentID, version, party, stance, text) != statement {
		return "", errors.New("refusing to sign: the server's statement does not carry the stance and text as given, or is not in the format")
	}
	msg, err := note.Sign(&note.Note{Text: statement}, k.Signer)
	if err != nil {
		return "", err
	}
	return string(msg), nil
}

// AlertAcknowledger is what a client needs to acknowledge an alert with
// its own key: the alert as read, and the acknowledgement itself.
// api.Client and airspace.Service implement it.
type AlertAcknowledger interface {
	FindAlert(ctx context.Context, id string) (*truce.Alert, error)
	AcknowledgeAlert(ctx context.Context, id string, in truce.AlertAckInput) (*truce.Alert, error)
}

// AcknowledgeAlert acknowledges an alert for party partyID with the
// party's own key: it reads the alert, builds the acknowledgement
// statement here from the alert as read (truce.AlertAckStatement), signs
// it, and submits only the signature.
func AcknowledgeAlert(ctx context.Context, c AlertAcknowledger, k *Key, id, partyID, text string) (*truce.Alert, error) {
	a, err := c.FindAlert(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.ID != id {
		return nil, fmt.Errorf("refusing to sign: asked for alert %s, the server answered with %s", id, a.ID)
	}
	msg, err := note.Sign(&note.Note{Text: truce.AlertAckStatement(a, partyID, strings.TrimSpace(text))}, k.Signer)
	if err != nil {
		return nil, err
	}
	return c.AcknowledgeAlert(ctx, id, truce.AlertAckInput{Note: text, Signature: string(msg)})
}
