package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// countingBody yields a multipart form whose CSRF field comes first and
// whose file part is size bytes long, counting what the server reads.
type countingBody struct {
	head, tail string
	size, off  int64
	read       atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	total := int64(len(b.head)) + b.size + int64(len(b.tail))
	if b.off >= total {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && b.off < total {
		switch {
		case b.off < int64(len(b.head)):
			p[n] = b.head[b.off]
		case b.off < int64(len(b.head))+b.size:
			p[n] = 'x'
		default:
			p[n] = b.tail[b.off-int64(len(b.head))-b.size]
		}
		n++
		b.off++
	}
	b.read.Add(int64(n))
	return n, nil
}

// TestForms_BodyBounded: a form POST is read only up to the UI's bound
// (a 4 MiB upload and its fields), then refused with 413, whatever its
// encoding; the server does not read, buffer or spool the rest. The login
// form, which needs no session, is bounded too.
func TestForms_BodyBounded(t *testing.T) {
	s := newServer(t)
	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	const size = 64 << 20
	for _, tc := range []struct{ name, path, csrf string }{
		{"Zone", "/zones", csrf},
		{"Login", "/login", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const boundary = "truceboundary"
			head := fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n"+
				"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.geojson\"\r\nContent-Type: application/json\r\n\r\n",
				boundary, tc.csrf, boundary)
			body := &countingBody{head: head, tail: "\r\n--" + boundary + "--\r\n", size: size}
			req, _ := http.NewRequest("POST", s.url+tc.path, body)
			req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
			resp, err := c.Do(req)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusRequestEntityTooLarge {
					t.Fatalf("status %d, want 413: %.200s", resp.StatusCode, strings.TrimSpace(string(b)))
				}
			}
			// The connection may be closed while the client still writes;
			// either way the server must have stopped reading early.
			if n := body.read.Load(); n > 16<<20 {
				t.Fatalf("the server read %d MiB of a %d MiB form", n>>20, size>>20)
			}
		})
	}
}
