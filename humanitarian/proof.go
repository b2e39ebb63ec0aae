package humanitarian

import (
	"context"

	"github.com/truce-project/truce"
)

// The formats of a notification's proof file, for an inquiry: every
// version of the record, every transmission of every version and every
// signed answer, each a truce.RecordProofs bundle of record proofs
// against a signed checkpoint. `truce log verify-proof` checks one
// offline and says, per party, when each version was notified to it and
// whether, when and with which key it answered.
const (
	SiteProofFormat     = "truce.org/site-proof@v1"
	MovementProofFormat = "truce.org/movement-proof@v1"
)

// Proof is a notification's proof file: of a site (Site set) or of a
// movement (Movement set). Records holds the record's bundle first, then
// its transmissions' bundles.
type Proof struct {
	Format   string                `json:"format"`
	Site     string                `json:"site,omitempty"`
	Movement string                `json:"movement,omitempty"`
	Records  []*truce.RecordProofs `json:"records"`
}

// Kind is the kind of record the proof is of (KindSite or KindMovement),
// and Record its id; "" when the format is neither.
func (p *Proof) Kind() (kind, record string) {
	switch p.Format {
	case SiteProofFormat:
		return KindSite, p.Site
	case MovementProofFormat:
		return KindMovement, p.Movement
	}
	return "", ""
}

// ProofSource is what gathering a proof reads: the board of each version
// (its transmissions) and the record proofs of a journalled record. The
// API client and the service, through small adapters, both serve it.
type ProofSource struct {
	Board        func(ctx context.Context, version int64) ([]BoardRow, error)
	RecordProofs func(ctx context.Context, kind, subject string) (*truce.RecordProofs, error)
}

// GatherProof gathers the proof of a site or movement (kind, id) whose
// latest version is latest: its record proofs, then those of every
// transmission of every version, oldest version first.
func GatherProof(ctx context.Context, src ProofSource, kind, id string, latest int64) (*Proof, error) {
	p := &Proof{Format: SiteProofFormat, Site: id}
	if kind == KindMovement {
		p = &Proof{Format: MovementProofFormat, Movement: id}
	}
	rp, err := src.RecordProofs(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	p.Records = append(p.Records, rp)
	for v := int64(1); v <= latest; v++ {
		rows, err := src.Board(ctx, v)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			rp, err := src.RecordProofs(ctx, "transmission", r.Transmission.ID)
			if err != nil {
				return nil, err
			}
			p.Records = append(p.Records, rp)
		}
	}
	return p, nil
}
