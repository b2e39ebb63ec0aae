package truce

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
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

// AnswerStatementFields is a statement of AnswerStatement, parsed: what a
// party holding its own key is asked to sign.
type AnswerStatementFields struct {
	Concern      bool
	Transmission string
	Kind         string // "site" or "movement"
	Record       string
	Version      int64
	Hash         string
	Party        string
	// TextSHA256 and the window are a concern's; Window is "" without one.
	TextSHA256 string
	Window     string
}

// ParseAnswerStatement parses the text of AnswerStatement, line by line,
// so that a client reads what it is asked to sign before it signs it.
func ParseAnswerStatement(text string) (*AnswerStatementFields, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 7 || lines[len(lines)-1] != "" || lines[len(lines)-2] != ReceiptNotPermission {
		return nil, errors.New("the server's statement is not an answer statement (it must end with \"" + ReceiptNotPermission + "\")")
	}
	lines = lines[:len(lines)-2]
	var f AnswerStatementFields
	switch lines[0] {
	case "truce humanitarian acknowledgement":
	case "truce humanitarian concern":
		f.Concern = true
	default:
		return nil, fmt.Errorf("the server's statement begins %q, not \"truce humanitarian acknowledgement\" or \"truce humanitarian concern\"", lines[0])
	}
	field := func(line, name string, n int) ([]string, error) {
		v, ok := strings.CutPrefix(line, name+" ")
		parts := strings.Split(v, " ")
		if !ok || len(parts) != n || slices.Contains(parts, "") {
			return nil, fmt.Errorf("the server's statement has no %s line", name)
		}
		return parts, nil
	}
	v, err := field(lines[1], "transmission", 1)
	if err != nil {
		return nil, err
	}
	f.Transmission = v[0]
	rec := strings.Split(lines[2], " ")
	if len(rec) != 4 || (rec[0] != "site" && rec[0] != "movement") || rec[1] == "" || rec[2] != "version" {
		return nil, errors.New("the server's statement names no site or movement version")
	}
	f.Kind, f.Record = rec[0], rec[1]
	if f.Version, err = strconv.ParseInt(rec[3], 10, 64); err != nil || f.Version < 1 {
		return nil, errors.New("the server's statement has no valid version")
	}
	if v, err = field(lines[3], "hash", 1); err != nil {
		return nil, err
	}
	f.Hash = v[0]
	if v, err = field(lines[4], "party", 1); err != nil {
		return nil, err
	}
	f.Party = v[0]
	rest := lines[5:]
	if !f.Concern {
		if len(rest) != 0 {
			return nil, errors.New("the server's statement of an acknowledgement carries more lines than an acknowledgement's")
		}
		return &f, nil
	}
	if len(rest) == 0 || len(rest) > 2 {
		return nil, errors.New("the server's statement of a concern has no concern-text-sha256 line")
	}
	if v, err = field(rest[0], "concern-text-sha256", 1); err != nil {
		return nil, err
	}
	f.TextSHA256 = v[0]
	if len(rest) == 2 {
		if v, err = field(rest[1], "window", 2); err != nil {
			return nil, err
		}
		f.Window = v[0] + " " + v[1]
	}
	return &f, nil
}
