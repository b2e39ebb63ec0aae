package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static/*.js static/*.css static/data/*.geojson static/vendor
var staticFS embed.FS

// asset is one embedded file and the content hash that names it.
type asset struct {
	data   []byte
	hash   string // first 12 hex digits of SHA-256
	ctype  string
	hashed string // "/static/app.<hash>.js"
}

// assets serves embedded files under content-hashed paths, so a browser may
// cache them forever and a new binary is never served stale files. The plain
// path answers too (with revalidation), because Leaflet's CSS names its
// images relatively.
type assets struct {
	byPath map[string]*asset // "app.js" → asset
	byHash map[string]*asset // "app.<hash>.js" → asset
}

func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{byPath: map[string]*asset{}, byHash: map[string]*asset{}}
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rel := strings.TrimPrefix(p, "static/")
		ext := path.Ext(rel)
		ct := mime.TypeByExtension(ext)
		if ext == ".geojson" {
			ct = "application/geo+json"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := hex.EncodeToString(sum[:6])
		hp := strings.TrimSuffix(rel, ext) + "." + h + ext
		x := &asset{data: b, hash: h, ctype: ct, hashed: "/static/" + hp}
		a.byPath[rel], a.byHash[hp] = x, x
		return nil
	})
	return a, err
}

// URL returns the content-hashed URL of an embedded file ("app.js"), or ""
// when there is no such file.
func (a *assets) URL(name string) string {
	if x, ok := a.byPath[name]; ok {
		return x.hashed
	}
	return ""
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel := strings.TrimPrefix(r.URL.Path, "/static/")
	x, immutable := a.byHash[rel]
	if !immutable {
		if x = a.byPath[rel]; x == nil {
			http.NotFound(w, r)
			return
		}
	}
	w.Header().Set("Content-Type", x.ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if immutable {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", `"`+x.hash+`"`)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(x.data))
}

// BaseMapData returns one of the embedded base map's data files
// ("syria-districts.geojson"): the OCHA boundaries other capabilities
// reuse (the sites' P-codes).
func BaseMapData(name string) ([]byte, error) { return staticFS.ReadFile("static/data/" + name) }
