package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed locales/*.json
var localeFS embed.FS

// catalogue is one language's messages. The "_name" key holds the
// language's own name for the switch and "_dir" its direction ("rtl").
type catalogue map[string]string

// catalogues holds every language found in locales/: adding ru.json adds
// Russian, with no code change. English is the fallback for missing keys.
type catalogues struct {
	langs map[string]catalogue
	order []string // language codes, English first
}

func loadCatalogues(fsys fs.FS) (*catalogues, error) {
	c := &catalogues{langs: map[string]catalogue{}}
	files, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var m catalogue
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("message catalogue %s: %w", f, err)
		}
		code := strings.TrimSuffix(path.Base(f), ".json")
		c.langs[code] = m
		c.order = append(c.order, code)
	}
	if _, ok := c.langs["en"]; !ok {
		return nil, fmt.Errorf("message catalogues: locales/en.json is missing")
	}
	sort.Slice(c.order, func(i, j int) bool {
		if (c.order[i] == "en") != (c.order[j] == "en") {
			return c.order[i] == "en"
		}
		return c.order[i] < c.order[j]
	})
	return c, nil
}

// translate returns the message for key in lang, falling back to English
// and then to the key itself, formatted with args as fmt.Sprintf does.
func (c *catalogues) translate(lang, key string, args ...any) string {
	msg, ok := c.langs[lang][key]
	if !ok {
		if msg, ok = c.langs["en"][key]; !ok {
			msg = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

func (c *catalogues) dir(lang string) string {
	if c.langs[lang]["_dir"] == "rtl" {
		return "rtl"
	}
	return "ltr"
}

// langCookie holds the language a user chose with the switch.
const langCookie = "truce_lang"

// choose picks the language: the switch's cookie, then the best
// Accept-Language match (RFC 9110 §12.5.4 q-values), then English.
func (c *catalogues) choose(r *http.Request) string {
	if ck, err := r.Cookie(langCookie); err == nil {
		if _, ok := c.langs[ck.Value]; ok {
			return ck.Value
		}
	}
	best, bestQ := "en", -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if _, ok := c.langs[base]; ok && q > bestQ && q > 0 {
			best, bestQ = base, q
		}
	}
	return best
}
