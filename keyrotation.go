package truce

import (
	"fmt"
	"strings"
)

// KeyRotationText is the text of a key rotation note: a party that holds
// its own key announces its next verifier key. The note (C2SP signed
// note) carries two signatures: the current key's, which authorises the
// change, and the new key's, which proves the party holds it.
func KeyRotationText(slug, oldKey, newKey string) string {
	return fmt.Sprintf("truce key rotation v1\nparty %s\nold %s\nnew %s\n", slug, oldKey, newKey)
}

// ParseKeyRotation reads the text of a key rotation note. It returns
// EINVALID for anything else.
func ParseKeyRotation(text string) (slug, oldKey, newKey string, err error) {
	l := strings.Split(text, "\n")
	bad := Errorf(EINVALID, "The note is not a key rotation (truce key rotation v1).")
	if len(l) != 5 || l[4] != "" || l[0] != "truce key rotation v1" {
		return "", "", "", bad
	}
	var ok [3]bool
	slug, ok[0] = strings.CutPrefix(l[1], "party ")
	oldKey, ok[1] = strings.CutPrefix(l[2], "old ")
	newKey, ok[2] = strings.CutPrefix(l[3], "new ")
	if !ok[0] || !ok[1] || !ok[2] || slug == "" || oldKey == "" || newKey == "" {
		return "", "", "", bad
	}
	return slug, oldKey, newKey, nil
}

// KeyRotation is the input of PartyService.RotatePartyKey: the signed
// note of KeyRotationText.
type KeyRotation struct {
	Note string `json:"note" required:"true"`
}
