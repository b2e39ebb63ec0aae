package truce

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ReceiptNotPermission is what every answer to a humanitarian notification
// says, in its signed statement and wherever it is shown: an
// acknowledgement records receipt, never permission.
const ReceiptNotPermission = "receipt, not permission"

// AnswerStatement is the text a party signs to answer a transmission of a
// humanitarian notification (package humanitarian): it names the
// transmission, the record notified (kind "site" or "movement", id and
// version) and the version's hash, the answering party, and
// for a concern the SHA-256 of its text and its window. The concern's text
// is bound by its hash rather than written out, since a signed note's text
// is lines of UTF-8 that free text need not be. It is here, in the
// vocabulary, so that the offline verifier (SignaturesInBody) rebuilds the
// statement the service had signed.
func AnswerStatement(transmission, kind, record string, version int64, hash, party string, concern bool, text string, from, to *time.Time) string {
	var b strings.Builder
	answer := "acknowledgement"
	if concern {
		answer = "concern"
	}
	fmt.Fprintf(&b, "truce humanitarian %s\n", answer)
	fmt.Fprintf(&b, "transmission %s\n", transmission)
	fmt.Fprintf(&b, "%s %s version %d\n", kind, record, version)
	fmt.Fprintf(&b, "hash %s\n", hash)
	fmt.Fprintf(&b, "party %s\n", party)
	if concern {
		h := sha256.Sum256([]byte(text))
		fmt.Fprintf(&b, "concern-text-sha256 %s\n", hex.EncodeToString(h[:]))
		if from != nil || to != nil {
			fmt.Fprintf(&b, "window %s %s\n", windowEnd(from), windowEnd(to))
		}
	}
	b.WriteString(ReceiptNotPermission + "\n")
	return b.String()
}

func windowEnd(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// transmissionSignatures returns the signed answer a transmission body
// carries (none while it is unanswered).
func transmissionSignatures(index int64, body []byte) ([]PartySignature, error) {
	var t struct {
		ID            string `json:"id"`
		Kind          string `json:"kind"`
		RecordID      string `json:"record_id"`
		RecordVersion int64  `json:"record_version"`
		Hash          string `json:"hash"`
		To            string `json:"to"`
		Answer        *struct {
			Concern    bool       `json:"concern"`
			Text       string     `json:"text"`
			WindowFrom *time.Time `json:"window_from"`
			WindowTo   *time.Time `json:"window_to"`
			Signature  string     `json:"signature"`
			UserID     string     `json:"user_id"`
		} `json:"answer"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("transmission body: %v", err)
	}
	a := t.Answer
	if a == nil {
		return nil, nil
	}
	word := "acknowledgement"
	if a.Concern {
		word = "concern"
	}
	return []PartySignature{{Party: t.To, User: a.UserID, Note: a.Signature, Index: index,
		Statement: AnswerStatement(t.ID, t.Kind, t.RecordID, t.RecordVersion, t.Hash, t.To, a.Concern, a.Text, a.WindowFrom, a.WindowTo),
		What:      fmt.Sprintf("%s %s version %d %s (transmission %s)", t.Kind, t.RecordID, t.RecordVersion, word, t.ID)}}, nil
}
