package truce

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// BreachResponseStatement is the text a guarantor party signs (a C2SP
// signed note) to answer a breach of a guarantee (package control) with
// the action it took. It names the breach, its guarantee, the actor and
// the evidence the breach rests on — the control area, or the verified
// incident — so a signature cannot be moved to another breach. It is
// here, in the vocabulary, so that the offline verifier
// (SignaturesInBody) rebuilds the statement the service had signed.
//
// An action of one line is written out; an action of several lines is
// bound by its SHA-256, since a signed note's text is lines that free
// text need not keep to (a blank line ends a note's text).
func BreachResponseStatement(breach, guarantee, actor, controlArea, incident, action string) string {
	var b strings.Builder
	b.WriteString(BreachResponseHead(breach, guarantee, actor, controlArea, incident))
	if strings.ContainsAny(action, "\n\r\t") {
		h := sha256.Sum256([]byte(action))
		fmt.Fprintf(&b, "action-sha256 %s\n", hex.EncodeToString(h[:]))
	} else {
		fmt.Fprintf(&b, "action %s\n", action)
	}
	return b.String()
}

// BreachResponseHead is a BreachResponseStatement's lines before its
// action: what a browser that signs a response adds the action to.
func BreachResponseHead(breach, guarantee, actor, controlArea, incident string) string {
	var b strings.Builder
	b.WriteString("truce guarantee breach response\n")
	fmt.Fprintf(&b, "breach %s\nguarantee %s\n", breach, guarantee)
	if incident != "" {
		if actor == "" {
			actor = "unknown"
		}
		fmt.Fprintf(&b, "actor %s\nincident %s\n", actor, incident)
	} else {
		fmt.Fprintf(&b, "actor %s\ncontrol area %s\n", actor, controlArea)
	}
	return b.String()
}

// breachSignatures returns the guarantor's signed response a breach body
// carries (none while it is unanswered). The response is the act of the
// entry that journals the answered breach (an answered breach changes no
// more): its party and user made it, with the party's key of that time.
func breachSignatures(index int64, body []byte) ([]PartySignature, error) {
	var b struct {
		ID            string `json:"id"`
		GuaranteeID   string `json:"guarantee_id"`
		ActorID       string `json:"actor_id"`
		ControlAreaID string `json:"control_area_id"`
		IncidentID    string `json:"incident_id"`
		Response      *struct {
			PartyID   string `json:"party_id"`
			UserID    string `json:"user_id"`
			Action    string `json:"action"`
			Signature string `json:"signature"`
		} `json:"response"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("breach body: %v", err)
	}
	r := b.Response
	if r == nil {
		return nil, nil
	}
	return []PartySignature{{Party: r.PartyID, User: r.UserID, Note: r.Signature, Index: index,
		Statement: BreachResponseStatement(b.ID, b.GuaranteeID, b.ActorID, b.ControlAreaID, b.IncidentID, r.Action),
		What:      fmt.Sprintf("response to breach %s of guarantee %s", b.ID, b.GuaranteeID)}}, nil
}

// IncidentDecisionStatement is the text a party signs (a C2SP signed
// note) to take an action (verify, dispute, reject) on a version of an
// incident (package observation) with a reason: the signature binds the
// incident as it was decided on, and why. It is here, in the vocabulary,
// so that the offline verifier (SignaturesInBody) rebuilds the statement
// the service had signed. A reason's line breaks are written as spaces.
func IncidentDecisionStatement(incident string, version int, action, reason string) string {
	r := []byte(reason)
	for i, c := range r {
		if c == '\n' || c == '\r' {
			r[i] = ' '
		}
	}
	return fmt.Sprintf("truce incident decision\nincident %s\nversion %d\naction %s\nreason %s\n", incident, version, action, r)
}

// incidentSignatures returns the signed decisions and responses an incident body
// carries. A decision names the version it was taken on; one recorded
// before decisions did is checked in the entry that recorded it (its
// journal index is that entry's), where the version decided on is the
// one before the body's.
func incidentSignatures(index int64, body []byte) ([]PartySignature, error) {
	var b struct {
		ID        string `json:"id"`
		Version   int    `json:"version"`
		Decisions []struct {
			Action       string `json:"action"`
			PartyID      string `json:"party_id"`
			UserID       string `json:"user_id"`
			Reason       string `json:"reason"`
			Signature    string `json:"signature"`
			Version      int    `json:"version"`
			JournalIndex int64  `json:"journal_index"`
		} `json:"decisions"`
		Responses []struct {
			PartyID      string `json:"party_id"`
			UserID       string `json:"user_id"`
			Stance       string `json:"stance"`
			Text         string `json:"text"`
			Signature    string `json:"signature"`
			Version      int    `json:"version"`
			JournalIndex int64  `json:"journal_index"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("incident body: %v", err)
	}
	var out []PartySignature
	for _, d := range b.Decisions {
		v := d.Version
		if v == 0 {
			if d.JournalIndex != index {
				continue
			}
			v = b.Version - 1
		}
		at := index
		if d.JournalIndex > 0 && d.JournalIndex <= index {
			at = d.JournalIndex
		}
		out = append(out, PartySignature{Party: d.PartyID, User: d.UserID, Note: d.Signature, Index: at,
			Statement: IncidentDecisionStatement(b.ID, v, d.Action, d.Reason),
			What:      fmt.Sprintf("decision %s on incident %s version %d", d.Action, b.ID, v)})
	}
	// A response is checked with the key its party held when the entry
	// that recorded it was written.
	for _, r := range b.Responses {
		at := index
		if r.JournalIndex > 0 && r.JournalIndex <= index {
			at = r.JournalIndex
		}
		out = append(out, PartySignature{Party: r.PartyID, User: r.UserID, Note: r.Signature, Index: at,
			Statement: IncidentResponseStatement(b.ID, r.Version, r.PartyID, r.Stance, r.Text),
			What:      fmt.Sprintf("response of party %s to incident %s version %d", r.PartyID, b.ID, r.Version)})
	}
	return out, nil
}

// IncidentResponseStatement is the text the party an incident judged a
// violation is attributed to signs (a C2SP signed note) to answer it:
// the incident and its version answered, the party, its stance (accept
// or dispute) and its text. As in BreachResponseStatement, a text of one
// line is written out and a text of several lines bound by its SHA-256.
// It is here, in the vocabulary, so that the offline verifier rebuilds
// the statement the service had signed.
func IncidentResponseStatement(incident string, version int, party, stance, text string) string {
	var b strings.Builder
	b.WriteString(IncidentResponseHead(incident, version, party, stance))
	if strings.ContainsAny(text, "\n\r\t") {
		h := sha256.Sum256([]byte(text))
		fmt.Fprintf(&b, "text-sha256 %s\n", hex.EncodeToString(h[:]))
	} else {
		fmt.Fprintf(&b, "text %s\n", text)
	}
	return b.String()
}

// IncidentResponseHead is an IncidentResponseStatement's lines before
// its text.
func IncidentResponseHead(incident string, version int, party, stance string) string {
	return fmt.Sprintf("truce incident response\nincident %s\nversion %d\nparty %s\nstance %s\n", incident, version, party, stance)
}
