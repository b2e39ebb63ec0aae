package ui

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
	"time"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/note"
)

// witnessView is a configured witness as the administration lists it.
type witnessView struct {
	Name, URL, Key string
	// Cosigned says the latest checkpoint carries a cosignature that
	// verifies under the witness's key (C2SP tlog-cosignature v1); At is
	// the time inside it.
	Cosigned bool
	At       time.Time
	// Invalid says the configured key does not parse.
	Invalid bool
}

// witnessViews checks the latest checkpoint's signature lines against the
// configured witnesses' keys.
func (u *UI) witnessViews(r *http.Request) []witnessView {
	if len(u.cfg.Witnesses) == 0 {
		return nil
	}
	var text []byte
	var sigs []string
	if u.svc.Checkpoints != nil {
		if signed, err := u.svc.Checkpoints.LatestCheckpoint(r.Context()); err == nil {
			if i := bytes.LastIndex(signed, []byte("\n\n")); i >= 0 {
				text, sigs = signed[:i+1], strings.Split(string(signed[i+2:]), "\n")
			}
		}
	}
	out := make([]witnessView, len(u.cfg.Witnesses))
	for i, w := range u.cfg.Witnesses {
		out[i] = witnessView{URL: w.URL, Key: w.Key, Name: strings.SplitN(w.Key, "+", 2)[0]}
		v, err := ledger.NewCosignatureVerifier(w.Key)
		if err != nil {
			out[i].Invalid = true
			continue
		}
		out[i].Cosigned, out[i].At = cosigned(text, sigs, v)
	}
	return out
}

// cosigned finds the verifier's signature line ("— name base64(keyhash ||
// signature)", C2SP signed-note) and verifies it over the checkpoint text.
func cosigned(text []byte, lines []string, v *ledger.CosignatureVerifier) (bool, time.Time) {
	for _, l := range lines {
		rest, ok := strings.CutPrefix(l, "\u2014 "+v.Name()+" ")
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil || len(raw) < 4 || binary.BigEndian.Uint32(raw) != v.KeyHash() || !v.Verify(text, raw[4:]) {
			continue
		}
		at, _ := ledger.CosignatureTime(note.Signature{Name: v.Name(), Hash: v.KeyHash(), Base64: strings.TrimSpace(rest)})
		return true, at
	}
	return false, time.Time{}
}
