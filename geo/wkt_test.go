package geo_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/paulmach/orb"
)

// parseWKT reads the OGC Well-Known Text the JTS test suite uses into orb
// geometry. It is a test helper: Truce's wire format is GeoJSON.
func parseWKT(s string) (orb.Geometry, error) {
	p := &wktParser{s: s}
	g, err := p.geometry()
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("wkt: trailing text at %d", p.i)
	}
	return g, nil
}

type wktParser struct {
	s string
	i int
}

func (p *wktParser) skip() {
	for p.i < len(p.s) && unicode.IsSpace(rune(p.s[p.i])) {
		p.i++
	}
}

func (p *wktParser) word() string {
	p.skip()
	j := p.i
	for p.i < len(p.s) && (unicode.IsLetter(rune(p.s[p.i]))) {
		p.i++
	}
	return strings.ToUpper(p.s[j:p.i])
}

func (p *wktParser) peek() byte {
	p.skip()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *wktParser) expect(c byte) error {
	if p.peek() != c {
		return fmt.Errorf("wkt: want %q at %d in %q", c, p.i, p.s)
	}
	p.i++
	return nil
}

// empty consumes EMPTY if present.
func (p *wktParser) empty() bool {
	save := p.i
	if p.word() == "EMPTY" {
		return true
	}
	p.i = save
	return false
}

func (p *wktParser) number() (float64, error) {
	p.skip()
	if strings.HasPrefix(strings.ToUpper(p.s[p.i:]), "NAN") {
		p.i += 3
		return math.NaN(), nil
	}
	j := p.i
	for p.i < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[p.i]) >= 0 {
		p.i++
	}
	return strconv.ParseFloat(p.s[j:p.i], 64)
}

func (p *wktParser) point() (orb.Point, error) {
	x, err := p.number()
	if err != nil {
		return orb.Point{}, err
	}
	y, err := p.number()
	if err != nil {
		return orb.Point{}, err
	}
	return orb.Point{x, y}, nil
}

func (p *wktParser) points() ([]orb.Point, error) {
	if p.empty() {
		return nil, nil
	}
	if err := p.expect('('); err != nil {
		return nil, err
	}
	var pts []orb.Point
	for {
		if p.empty() { // MULTIPOINT(EMPTY, (0 0))
			if p.peek() != ',' {
				break
			}
			p.i++
			continue
		}
		// MULTIPOINT allows each point in its own parentheses.
		paren := p.peek() == '('
		if paren {
			p.i++
		}
		q, err := p.point()
		if err != nil {
			return nil, err
		}
		if paren {
			if err := p.expect(')'); err != nil {
				return nil, err
			}
		}
		pts = append(pts, q)
		if p.peek() != ',' {
			break
		}
		p.i++
	}
	return pts, p.expect(')')
}

func (p *wktParser) lists() ([][]orb.Point, error) {
	if p.empty() {
		return nil, nil
	}
	if err := p.expect('('); err != nil {
		return nil, err
	}
	var out [][]orb.Point
	for {
		pts, err := p.points()
		if err != nil {
			return nil, err
		}
		out = append(out, pts)
		if p.peek() != ',' {
			break
		}
		p.i++
	}
	return out, p.expect(')')
}

func polygonOf(rs [][]orb.Point) orb.Polygon {
	poly := make(orb.Polygon, len(rs))
	for i, r := range rs {
		poly[i] = orb.Ring(r)
	}
	return poly
}

func (p *wktParser) geometry() (orb.Geometry, error) {
	switch w := p.word(); w {
	case "POINT":
		if p.empty() {
			return orb.MultiPoint{}, nil
		}
		pts, err := p.points()
		if err != nil || len(pts) != 1 {
			return nil, fmt.Errorf("wkt: bad POINT: %v", err)
		}
		return pts[0], nil
	case "MULTIPOINT":
		pts, err := p.points()
		return orb.MultiPoint(pts), err
	case "LINESTRING":
		pts, err := p.points()
		return orb.LineString(pts), err
	case "LINEARRING":
		pts, err := p.points()
		return orb.Ring(pts), err
	case "MULTILINESTRING":
		ls, err := p.lists()
		mls := make(orb.MultiLineString, len(ls))
		for i, l := range ls {
			mls[i] = l
		}
		return mls, err
	case "POLYGON":
		rs, err := p.lists()
		if len(rs) == 0 {
			return orb.Polygon{}, err
		}
		return polygonOf(rs), err
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		if p.empty() {
			return mp, nil
		}
		if err := p.expect('('); err != nil {
			return nil, err
		}
		for {
			rs, err := p.lists()
			if err != nil {
				return nil, err
			}
			mp = append(mp, polygonOf(rs))
			if p.peek() != ',' {
				break
			}
			p.i++
		}
		return mp, p.expect(')')
	case "GEOMETRYCOLLECTION":
		var c orb.Collection
		if p.empty() {
			return c, nil
		}
		if err := p.expect('('); err != nil {
			return nil, err
		}
		for {
			g, err := p.geometry()
			if err != nil {
				return nil, err
			}
			c = append(c, g)
			if p.peek() != ',' {
				break
			}
			p.i++
		}
		return c, p.expect(')')
	default:
		return nil, fmt.Errorf("wkt: unknown type %q", w)
	}
}
