package capxml

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// AtomNamespace is the Atom (RFC 4287) XML namespace.
const AtomNamespace = "http://www.w3.org/2005/Atom"

// FeedInfo describes an Atom feed of alerts.
type FeedInfo struct {
	ID     string // required: a permanent absolute IRI, e.g. "https://truce.example/cap/alerts.atom" or "urn:uuid:…"
	Title  string // required
	Author string // required: the feed's author name (Atom requires an author)
	// Self is the feed's own URL (rel="self"); optional but recommended.
	Self string
	// Updated is the feed's last change; zero means the latest Sent of its
	// alerts (a feed with no alerts must set it).
	Updated time.Time
	// AlertURL gives the absolute URL where an alert's CAP document is
	// served; it is the entry's id and its rel="alternate" link. Required.
	AlertURL func(Alert) string
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Updated   string      `xml:"updated"`
	Published string      `xml:"published"`
	Links     []atomLink  `xml:"link"`
	Summary   string      `xml:"summary"`
	Content   atomContent `xml:"content"`
}

// atomContent carries the CAP alert inline: RFC 4287 §4.1.3.3 lets an XML
// media type's content be the element itself, so a consumer gets the whole
// alert without a second request.
type atomContent struct {
	Type  string    `xml:"type,attr"`
	Alert *xmlAlert `xml:"alert"`
}

// Feed validates every alert and writes an Atom feed with one entry per
// alert, in the given order. Each entry's id and alternate link are
// info.AlertURL(alert); its title is the first info's headline (else its
// event, else the identifier); its summary (required by RFC 4287 beside
// non-text content) is the first info's description (else the title); its
// updated and published times are the alert's Sent; and its content is the
// CAP alert itself, typed application/cap+xml. Errors about the input match
// ErrInvalid, and nothing is written then.
func Feed(w io.Writer, info FeedInfo, alerts []Alert) error {
	if !absoluteIRI(info.ID) {
		return invalidf("feed id %q must be an absolute IRI", info.ID)
	}
	if strings.TrimSpace(info.Title) == "" || strings.TrimSpace(info.Author) == "" {
		return invalidf("feed title and author are required")
	}
	if info.AlertURL == nil {
		return invalidf("feed AlertURL is required")
	}
	f := atomFeed{ID: info.ID, Title: info.Title, Author: atomPerson{Name: info.Author}}
	if info.Self != "" {
		if !absoluteIRI(info.Self) {
			return invalidf("feed self link %q must be absolute", info.Self)
		}
		f.Links = append(f.Links, atomLink{Rel: "self", Type: "application/atom+xml", Href: info.Self})
	}
	updated := info.Updated
	for i, a := range alerts {
		x, err := toXML(a)
		if err != nil {
			return fmt.Errorf("alert %d (%s): %w", i, a.Identifier, err)
		}
		u := info.AlertURL(a)
		if !absoluteIRI(u) {
			return invalidf("alert %d: AlertURL %q is not an absolute IRI", i, u)
		}
		title := a.Identifier
		summary := ""
		if len(a.Info) > 0 {
			in := a.Info[0]
			title = firstNonEmpty(in.Headline, in.Event, a.Identifier)
			summary = in.Description
		}
		if summary == "" {
			summary = title
		}
		sent := a.Sent.UTC().Format(time.RFC3339)
		f.Entries = append(f.Entries, atomEntry{
			ID: u, Title: title, Updated: sent, Published: sent, Summary: summary,
			Links:   []atomLink{{Rel: "alternate", Type: MediaType, Href: u}},
			Content: atomContent{Type: MediaType, Alert: x},
		})
		if a.Sent.After(updated) {
			updated = a.Sent
		}
	}
	if updated.IsZero() {
		return invalidf("feed with no alerts needs Updated")
	}
	f.Updated = updated.UTC().Format(time.RFC3339)
	b, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("cap: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// absoluteIRI is a light check: a scheme, a colon and no whitespace, which
// is what Atom's ids and links need to be compared and dereferenced.
func absoluteIRI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i < 1 || strings.ContainsAny(s, " \t\r\n<>\"") {
		return false
	}
	for j, c := range s[:i] {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return len(s) > i+1
}
