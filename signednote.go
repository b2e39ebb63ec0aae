package truce

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// Errors of VerifySignedNote: the note is not signed by the key, or it is
// but its text is not the statement it was to sign.
var (
	ErrNoteSignature = errors.New("the signature does not verify with the party's key")
	ErrNoteStatement = errors.New("the signed text is not the statement")
)

// VerifySignedNote checks that signed is a C2SP signed note by publicKey
// (a note verifier key) whose text is statement. It is the one check of a
// party's signed act (zone and agreement decisions, acknowledgements,
// incident decisions, breach responses): a key that does not parse is
// reported as such, a signature that does not verify as
// ErrNoteSignature, another text as ErrNoteStatement.
func VerifySignedNote(signed, statement, publicKey string) error {
	v, err := note.NewVerifier(publicKey)
	if err != nil {
		return fmt.Errorf("party key: %w", err)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		return ErrNoteSignature
	}
	if n.Text != statement {
		return ErrNoteStatement
	}
	return nil
}

// PartySigners gives a custodial party's signer (accounts.Service does).
type PartySigners interface {
	PartySigner(ctx context.Context, p *Party) (note.Signer, error)
}

// SignAsParty signs statement with custodial party p's key, held by the
// deployment, and returns the signed note.
func SignAsParty(ctx context.Context, signers PartySigners, p *Party, statement string) (string, error) {
	signer, err := signers.PartySigner(ctx, p)
	if err != nil {
		return "", fmt.Errorf("party key of %s: %w", p.Slug, err)
	}
	msg, err := note.Sign(&note.Note{Text: statement}, signer)
	return string(msg), err
}
