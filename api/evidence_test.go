package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// TestEvidenceAPI: the monitoring mission's observer uploads a real
// camera photo by its SHA-256 (201, then 200 for the same file), files
// an observation citing it; another party downloads the copy without
// its Exif GPS position, as an attachment that is not sniffed; the
// observer's party downloads it as uploaded; the CLI's client uploads
// and downloads the same; a file over the limit, a hash that is not the
// file's and another party's upload are refused and journal nothing.
func TestEvidenceAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, body := fileObservation(t, e)
	photo, err := os.ReadFile("../observation/testdata/nikon-d2h-gps.jpg")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(photo)
	sum := hex.EncodeToString(h[:])
	put := func(token, sum string, b []byte) (int, []byte) {
		status, hdr, out := e.do("PUT", "/api/v1/evidence/"+sum, e.tokens[token], string(b), "Content-Type", "image/jpeg")
		_ = hdr
		return status, out
	}
	status, b := put("team-a", sum, photo)
	var ev observation.Evidence
	if err := json.Unmarshal(b, &ev); status != 201 || err != nil || ev.SHA256 != sum || ev.Shared == "" {
		t.Fatalf("upload: %d %s", status, b)
	}
	if status, b := put("team-a", sum, photo); status != 200 {
		t.Fatalf("the same upload again: %d %s, want 200", status, b)
	}
	before := e.journalSize()
	for _, c := range []struct {
		name, token, sum string
		data             []byte
		status           int
		code             string
	}{
		{"ErrHash", "team-a", strings.Repeat("0", 64), photo, 400, truce.EINVALID},
		{"ErrTooLarge", "team-a", sum, make([]byte, observation.MaxEvidenceBytes+1), 413, truce.ETOOLARGE},
		{"ErrGuarantor", "us-op", sum, photo, 403, truce.EFORBIDDEN},
		{"ErrHTML", "team-a", sum, []byte("<html><body>hi</body></html>"), 400, truce.EINVALID},
	} {
		status, hdr, b := e.do("PUT", "/api/v1/evidence/"+c.sum, e.tokens[c.token], string(c.data))
		if status != c.status || problemCode(t, hdr, b) != c.code {
			t.Errorf("%s: %d %.200s, want %d %s", c.name, status, b, c.status, c.code)
		}
	}
	if after := e.journalSize(); after != before {
		t.Fatalf("refused uploads journalled %d entries", after-before)
	}

	cited := strings.Replace(body, `"mode"`, `"evidence":["`+sum+`"],"mode"`, 1)
	if status, _, b := e.do("POST", "/api/v1/observations", e.tokens["team-a"], cited); status != 201 || !strings.Contains(string(b), sum) {
		t.Fatalf("an observation citing the photo: %d %s", status, b)
	}

	status, hdr, theirs := e.do("GET", "/api/v1/evidence/"+sum+"/file", e.tokens["us-op"], "")
	if status != 200 || hdr.Get("Content-Type") != "image/jpeg" || hdr.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(hdr.Get("Content-Disposition"), "attachment") || hdr.Get("X-Evidence-SHA256") != ev.Shared {
		t.Fatalf("another party's download: %d %v", status, hdr)
	}
	if bytes.Contains(theirs, []byte("Exif")) || len(theirs) != int(ev.SharedSize) {
		t.Errorf("another party downloaded %d bytes, Exif %v; want the %d without metadata", len(theirs), bytes.Contains(theirs, []byte("Exif")), ev.SharedSize)
	}
	if status, _, own := e.do("GET", "/api/v1/evidence/"+sum+"/file", e.tokens["centre-op"], ""); status != 200 || !bytes.Equal(own, photo) {
		t.Errorf("own party's download: %d, %d bytes; want the photo as uploaded", status, len(own))
	}
	if status, _, b := e.do("GET", "/api/v1/evidence/"+sum, e.tokens["us-op"], ""); status != 200 || strings.Contains(string(b), e.users["team-a"].ID) {
		t.Errorf("another party reads the record: %d %s; want it without the uploader", status, b)
	}

	// The CLI's client.
	ctx := context.Background()
	png, err := os.ReadFile("../observation/testdata/progressive.jpeg")
	if err != nil {
		t.Fatal(err)
	}
	ph := sha256.Sum256(png)
	up, err := e.client(e.tokens["team-a"]).UploadEvidence(ctx, hex.EncodeToString(ph[:]), png)
	if err != nil || up.Shared != up.SHA256 {
		t.Fatalf("client upload: %+v, %v; want a file with nothing to strip shared as it is", up, err)
	}
	_, got, err := e.client(e.tokens["us-op"]).EvidenceFile(ctx, sum, false)
	if err != nil || observation.SHA256Hex(got) != ev.Shared {
		t.Fatalf("client download: %v", err)
	}
}
