package observation

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	_ "image/jpeg" // DecodeConfig checks a stripped JPEG
	_ "image/png"
	"net/http"
	"regexp"
	"time"

	"github.com/truce-project/truce"
)

// EvidenceKind is what an evidence file is.
type EvidenceKind string

// Evidence kinds.
const (
	EvidencePhoto    EvidenceKind = "photo"
	EvidenceVideo    EvidenceKind = "video"
	EvidenceAudio    EvidenceKind = "audio"
	EvidenceDocument EvidenceKind = "document"
)

// EvidenceTypes maps the media types accepted (as sniffed from the bytes,
// never as the client names them) onto their kind.
var EvidenceTypes = map[string]EvidenceKind{
	"image/jpeg":      EvidencePhoto,
	"image/png":       EvidencePhoto,
	"video/mp4":       EvidenceVideo,
	"video/webm":      EvidenceVideo,
	"audio/mpeg":      EvidenceAudio,
	"audio/wave":      EvidenceAudio,
	"application/ogg": EvidenceAudio,
	"application/pdf": EvidenceDocument,
}

// Limits on evidence.
const (
	// MaxEvidenceBytes is the largest evidence file accepted.
	MaxEvidenceBytes = 32 << 20
	// MaxEvidencePerObservation is how many files an observation cites.
	MaxEvidencePerObservation = 20
)

// Evidence is a file a monitor uploaded (a photo, video, audio recording
// or document), stored content-addressed by the SHA-256 of its bytes and
// journalled by that hash. Its uploader's party downloads it as uploaded;
// the other parties download Shared, the copy with its metadata (Exif with
// its GPS position, XMP, IPTC, comments) removed.
type Evidence struct {
	// SHA256 is the hex SHA-256 of the file as uploaded.
	SHA256    string       `json:"sha256"`
	Kind      EvidenceKind `json:"kind"`
	MediaType string       `json:"media_type"`
	Size      int64        `json:"size"`
	// Shared is the hex SHA-256 of the copy other parties download (the
	// uploaded file's when there was no metadata to remove), SharedSize
	// its size; "" when metadata of the type cannot be removed, and then
	// only the uploader's party downloads it.
	Shared     string `json:"shared,omitempty"`
	SharedSize int64  `json:"shared_size,omitempty"`
	// Removed names the metadata segments removed ("APP1 Exif").
	Removed []string `json:"removed,omitempty"`
	PartyID string   `json:"party_id"`
	// UploadedBy is the user (hidden from the other parties).
	UploadedBy   string    `json:"uploaded_by,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	Version      int       `json:"version"`
	JournalIndex int64     `json:"journal_index"`
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// CheckSHA256 returns EINVALID unless s is a lower-case hex SHA-256.
func CheckSHA256(field, s string) error {
	if !sha256Hex.MatchString(s) {
		return truce.Errorf(truce.EINVALID, "%s must be a SHA-256 in lower-case hex (64 characters).", field)
	}
	return nil
}

// SniffEvidence returns the media type and kind of an evidence file from
// its bytes, EINVALID for a type not accepted and ETOOLARGE over the
// limit.
func SniffEvidence(b []byte) (string, EvidenceKind, error) {
	if len(b) > MaxEvidenceBytes {
		return "", "", truce.Errorf(truce.ETOOLARGE, "An evidence file is at most %d bytes.", MaxEvidenceBytes)
	}
	if len(b) == 0 {
		return "", "", truce.Errorf(truce.EINVALID, "The evidence file is empty.")
	}
	mt := http.DetectContentType(b)
	if i := bytes.IndexByte([]byte(mt), ';'); i >= 0 {
		mt = mt[:i]
	}
	k, ok := EvidenceTypes[mt]
	if !ok {
		return "", "", truce.Errorf(truce.EINVALID, "Evidence of type %s is not accepted: send a JPEG or PNG photo, an MP4 or WebM video, MP3, WAV or Ogg audio, or a PDF.", mt)
	}
	return mt, k, nil
}

// StripMetadata returns a copy of an evidence file without the metadata
// that can locate or identify its maker, and the names of what it
// removed; ok is false when the type's metadata cannot be removed (video,
// audio, documents). A JPEG keeps what decoding needs (JFIF, the ICC
// colour profile, Adobe's colour transform) and loses every other APPn
// segment (Exif with GPS, XMP, Photoshop/IPTC, maker data, MPF with its
// second image), comments and whatever follows the end of the image; a
// PNG loses its text, Exif and time chunks. The copy is checked to
// decode. EINVALID for a file that is not the image its type says.
func StripMetadata(mediaType string, b []byte) (out []byte, removed []string, ok bool, err error) {
	switch mediaType {
	case "image/jpeg":
		out, removed, err = stripJPEG(b)
	case "image/png":
		out, removed, err = stripPNG(b)
	default:
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	if _, _, err := image.DecodeConfig(bytes.NewReader(out)); err != nil {
		return nil, nil, false, truce.Errorf(truce.EINVALID, "The %s file does not decode: %s", mediaType, err.Error())
	}
	return out, removed, true, nil
}

func badJPEG(msg string, args ...any) error {
	return truce.Errorf(truce.EINVALID, "The JPEG file is malformed: "+msg+".", args...)
}

// stripJPEG walks a JPEG's marker segments (ITU-T T.81 Annex B) and
// copies those decoding needs; entropy-coded data after each SOS is
// copied up to the next marker that is not a restart (RSTn) or a stuffed
// zero.
func stripJPEG(b []byte) ([]byte, []string, error) {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, nil, badJPEG("no start of image")
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	var removed []string
	i := 2
	for {
		// Markers may be preceded by fill bytes (0xFF).
		if i >= len(b) || b[i] != 0xFF {
			return nil, nil, badJPEG("no marker at byte %d", i)
		}
		for i < len(b) && b[i] == 0xFF {
			i++
		}
		if i >= len(b) {
			return nil, nil, badJPEG("truncated at byte %d", i)
		}
		m := b[i]
		i++
		switch {
		case m == 0xD9: // EOI: anything after it is dropped
			out = append(out, 0xFF, 0xD9)
			if i < len(b) {
				removed = append(removed, fmt.Sprintf("%d bytes after the end of the image", len(b)-i))
			}
			return out, removed, nil
		case m >= 0xD0 && m <= 0xD7, m == 0x01:
			out = append(out, 0xFF, m)
			continue
		}
		if i+2 > len(b) {
			return nil, nil, badJPEG("truncated at byte %d", i)
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return nil, nil, badJPEG("a segment of %d bytes at byte %d overruns the file", n, i)
		}
		seg := b[i : i+n]
		payload := seg[2:]
		if keep, name := keepJPEGSegment(m, payload); keep {
			out = append(out, 0xFF, m)
			out = append(out, seg...)
		} else {
			removed = append(removed, name)
		}
		i += n
		if m != 0xDA {
			continue
		}
		// Entropy-coded data, to the next marker.
		start := i
		for {
			if i+1 >= len(b) {
				return nil, nil, badJPEG("no end of image")
			}
			if b[i] == 0xFF && b[i+1] != 0x00 && !(b[i+1] >= 0xD0 && b[i+1] <= 0xD7) && b[i+1] != 0xFF {
				break
			}
			i++
		}
		out = append(out, b[start:i]...)
	}
}

// keepJPEGSegment says whether a marker segment stays, and names it.
func keepJPEGSegment(m byte, payload []byte) (bool, string) {
	has := func(p string) bool { return bytes.HasPrefix(payload, []byte(p)) }
	switch {
	case m == 0xE0 && (has("JFIF\x00") || has("JFXX\x00")):
		return true, ""
	case m == 0xE2 && has("ICC_PROFILE\x00"):
		return true, ""
	case m == 0xEE && has("Adobe"):
		return true, ""
	case m == 0xFE:
		return false, "COM comment"
	case m >= 0xE0 && m <= 0xEF:
		name := fmt.Sprintf("APP%d", m-0xE0)
		for _, id := range []struct{ prefix, name string }{{"Exif\x00", "Exif"}, {"http://ns.adobe.com/xap/", "XMP"}, {"Photoshop 3.0", "Photoshop/IPTC"}, {"MPF\x00", "MPF"}} {
			if has(id.prefix) {
				return false, name + " " + id.name
			}
		}
		return false, name
	}
	return true, ""
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// stripPNG copies a PNG's chunks but its text (tEXt, zTXt, iTXt), Exif
// (eXIf) and time (tIME) chunks, checking each chunk's CRC.
func stripPNG(b []byte) ([]byte, []string, error) {
	if !bytes.HasPrefix(b, pngSignature) {
		return nil, nil, truce.Errorf(truce.EINVALID, "The PNG file is malformed: no signature.")
	}
	out := append(make([]byte, 0, len(b)), pngSignature...)
	var removed []string
	for i := len(pngSignature); ; {
		if i+12 > len(b) {
			return nil, nil, truce.Errorf(truce.EINVALID, "The PNG file is malformed: truncated at byte %d.", i)
		}
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n > len(b)-i-12 {
			return nil, nil, truce.Errorf(truce.EINVALID, "The PNG file is malformed: a chunk at byte %d overruns the file.", i)
		}
		typ := string(b[i+4 : i+8])
		chunk := b[i : i+12+n]
		if crc32.ChecksumIEEE(chunk[4:8+n]) != binary.BigEndian.Uint32(chunk[8+n:]) {
			return nil, nil, truce.Errorf(truce.EINVALID, "The PNG file is malformed: chunk %q at byte %d fails its CRC.", typ, i)
		}
		switch typ {
		case "tEXt", "zTXt", "iTXt", "eXIf", "tIME":
			removed = append(removed, typ)
		default:
			out = append(out, chunk...)
		}
		i += 12 + n
		if typ == "IEND" {
			if i < len(b) {
				removed = append(removed, fmt.Sprintf("%d bytes after the end of the image", len(b)-i))
			}
			return out, removed, nil
		}
	}
}
