package observation_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeJPEG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// samePixels reports whether two decoded images are the same picture.
func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// TestStripMetadata_CameraJPEG: a real camera photo with its GPS position
// in Exif, Photoshop/IPTC and XMP loses all three and its user comment,
// keeps JFIF and Adobe's colour segment, and decodes to the same pixels.
func TestStripMetadata_CameraJPEG(t *testing.T) {
	orig := readTestdata(t, "nikon-d2h-gps.jpg")
	mt, kind, err := observation.SniffEvidence(orig)
	if err != nil || mt != "image/jpeg" || kind != observation.EvidencePhoto {
		t.Fatalf("SniffEvidence = %q %q %v", mt, kind, err)
	}
	for _, s := range []string{"Exif\x00\x00", "http://ns.adobe.com/xap/", "Photoshop 3.0", "basilica"} {
		if !bytes.Contains(orig, []byte(s)) {
			t.Fatalf("the test photo has no %q to remove", s)
		}
	}
	out, removed, ok, err := observation.StripMetadata(mt, orig)
	if err != nil || !ok {
		t.Fatalf("StripMetadata: ok %v, %v", ok, err)
	}
	for _, s := range []string{"Exif", "http://ns.adobe.com", "Photoshop", "basilica", "NIKON"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("the stripped photo still holds %q", s)
		}
	}
	for _, want := range []string{"APP1 Exif", "APP1 XMP", "APP13 Photoshop/IPTC"} {
		if !slices.Contains(removed, want) {
			t.Errorf("removed %q, want %q among them", removed, want)
		}
	}
	if !bytes.Contains(out, []byte("JFIF\x00")) || !bytes.Contains(out, []byte("Adobe")) {
		t.Error("the stripped photo lost its JFIF or Adobe segment, which decoding needs")
	}
	if len(out) >= len(orig)-10000 {
		t.Errorf("stripped %d of %d bytes; the metadata is over 16,000", len(orig)-len(out), len(orig))
	}
	if !samePixels(decodeJPEG(t, orig), decodeJPEG(t, out)) {
		t.Error("the stripped photo decodes to other pixels")
	}
	again, removed2, _, err := observation.StripMetadata(mt, out)
	if err != nil || !bytes.Equal(again, out) || len(removed2) != 0 {
		t.Errorf("stripping the stripped photo changed it (%d→%d bytes, removed %q, %v)", len(out), len(again), removed2, err)
	}
}

// TestStripMetadata_ProgressiveJPEG: a progressive JPEG with no metadata
// (several scans, each with its own Huffman tables between them) comes
// out byte for byte as it went in; bytes after its end are dropped.
func TestStripMetadata_ProgressiveJPEG(t *testing.T) {
	orig := readTestdata(t, "progressive.jpeg")
	out, removed, ok, err := observation.StripMetadata("image/jpeg", orig)
	if err != nil || !ok || !bytes.Equal(out, orig) || len(removed) != 0 {
		t.Fatalf("StripMetadata: %d→%d bytes, removed %q, ok %v, %v; want it unchanged", len(orig), len(out), removed, ok, err)
	}
	tail := append(slices.Clone(orig), []byte("GPS 36.1 32.6 hidden after the image")...)
	out, removed, _, err = observation.StripMetadata("image/jpeg", tail)
	if err != nil || !bytes.Equal(out, orig) || len(removed) != 1 {
		t.Fatalf("with a tail: %d→%d bytes, removed %q, %v; want the original", len(tail), len(out), removed, err)
	}
}

// TestStripMetadata_Bad: files that are not what they claim are refused
// as invalid; types whose metadata cannot be removed say so.
func TestStripMetadata_Bad(t *testing.T) {
	orig := readTestdata(t, "nikon-d2h-gps.jpg")
	for name, b := range map[string][]byte{
		"truncated":       orig[:len(orig)/2],
		"cut in a header": orig[:30],
		"no SOI":          orig[2:],
	} {
		if _, _, _, err := observation.StripMetadata("image/jpeg", b); truce.ErrorCode(err) != truce.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, _, ok, err := observation.StripMetadata("application/pdf", []byte("%PDF-1.4\n")); ok || err != nil {
		t.Errorf("a PDF: ok %v, %v; want not strippable, no error", ok, err)
	}
	for name, c := range map[string]struct {
		b    []byte
		code string
	}{
		"empty":    {nil, truce.EINVALID},
		"html":     {[]byte("<html><script>alert(1)</script></html>"), truce.EINVALID},
		"too big":  {append([]byte("\xff\xd8\xff\xe0"), make([]byte, observation.MaxEvidenceBytes)...), truce.ETOOLARGE},
		"zip file": {[]byte("PK\x03\x04\x14\x00\x00\x00"), truce.EINVALID},
	} {
		_, _, err := observation.SniffEvidence(c.b)
		if truce.ErrorCode(err) != c.code || !strings.HasSuffix(err.Error(), ".") {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
}
