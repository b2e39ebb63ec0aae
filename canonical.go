package truce

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// AppendCanonical appends the RFC 8785 (JCS) canonical form of the JSON
// text src to dst: no insignificant whitespace, object members sorted by
// the UTF-16 code units of their names, strings escaped as ECMAScript's
// JSON.stringify does, numbers written as ECMAScript's Number.toString.
//
// It is the journal's encoder of record bodies (Change.Seal), on the
// alert path's hot loop: it works on the bytes in one pass, with no tree
// of values, copies a string or an integer that is already canonical as
// it is (json.Marshal's output mostly is), and sorts an object's members
// only when they are out of order. TestAppendCanonical checks it against
// github.com/gowebpki/jcs.
func AppendCanonical(dst, src []byte) ([]byte, error) {
	c := canonicalisers.Get().(*canonicaliser)
	defer func() {
		c.src, c.out, c.pos = nil, nil, 0
		canonicalisers.Put(c)
	}()
	c.src, c.out = src, dst
	c.skipSpace()
	if err := c.value(0); err != nil {
		return dst, err
	}
	c.skipSpace()
	if c.pos != len(c.src) {
		return dst, c.fail("text after the value")
	}
	return c.out, nil
}

// canonicalisers keep their scratch space from one body to the next.
var canonicalisers = sync.Pool{New: func() any { return new(canonicaliser) }}

// CanonicalJSON is JSON text in RFC 8785 canonical form, as AppendCanonical
// writes it: the journal gives an event that carries its change's record
// the sealed body as data, so that the event log stores it as it is,
// without checking or encoding it again.
type CanonicalJSON []byte

// MarshalJSON returns c.
func (c CanonicalJSON) MarshalJSON() ([]byte, error) { return c, nil }

// maxCanonicalDepth bounds the nesting of arrays and objects (the
// canonicaliser recurses).
const maxCanonicalDepth = 1000

type canonicaliser struct {
	src     []byte
	pos     int
	out     []byte
	members []member // the open objects' members, innermost last
	scratch []byte
	order   []int
}

// member is an object member as written to out: its name's decoded bytes
// (out[nameStart:nameEnd] when the name needed no escape, else name) and
// the whole "name":value at out[start:end].
type member struct {
	nameStart, nameEnd int
	name               []byte
	start, end         int
}

func (c *canonicaliser) key(m *member) []byte {
	if m.name != nil {
		return m.name
	}
	return c.out[m.nameStart:m.nameEnd]
}

var errCanonical = errors.New("canonical JSON")

func (c *canonicaliser) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errCanonical, what, c.pos)
}

func (c *canonicaliser) skipSpace() {
	for c.pos < len(c.src) {
		switch c.src[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *canonicaliser) value(depth int) error {
	if c.pos >= len(c.src) {
		return c.fail("unexpected end")
	}
	switch b := c.src[c.pos]; {
	case b == '{':
		if depth >= maxCanonicalDepth {
			return c.fail("nesting too deep")
		}
		return c.object(depth + 1)
	case b == '[':
		if depth >= maxCanonicalDepth {
			return c.fail("nesting too deep")
		}
		return c.array(depth + 1)
	case b == '"':
		_, err := c.str()
		return err
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number()
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if bytes.HasPrefix(c.src[c.pos:], []byte(lit)) {
				c.out = append(c.out, lit...)
				c.pos += len(lit)
				return nil
			}
		}
		return c.fail("invalid value")
	}
}

func (c *canonicaliser) array(depth int) error {
	c.pos++ // [
	c.out = append(c.out, '[')
	c.skipSpace()
	if c.pos < len(c.src) && c.src[c.pos] == ']' {
		c.pos++
		c.out = append(c.out, ']')
		return nil
	}
	for {
		c.skipSpace()
		if err := c.value(depth); err != nil {
			return err
		}
		c.skipSpace()
		if c.pos >= len(c.src) {
			return c.fail("unexpected end of array")
		}
		switch c.src[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
		case ']':
			c.pos++
			c.out = append(c.out, ']')
			return nil
		default:
			return c.fail("expected , or ]")
		}
	}
}

func (c *canonicaliser) object(depth int) error {
	c.pos++ // {
	c.out = append(c.out, '{')
	body := len(c.out)
	base := len(c.members)
	defer func() { c.members = c.members[:base] }()
	c.skipSpace()
	if c.pos < len(c.src) && c.src[c.pos] == '}' {
		c.pos++
		c.out = append(c.out, '}')
		return nil
	}
	for {
		c.skipSpace()
		if c.pos >= len(c.src) || c.src[c.pos] != '"' {
			return c.fail("expected a member name")
		}
		m := member{start: len(c.out), nameStart: len(c.out) + 1}
		plain, err := c.str()
		if err != nil {
			return err
		}
		m.nameEnd = len(c.out) - 1
		if !plain {
			m.name = c.decodeName(m.start)
		}
		c.skipSpace()
		if c.pos >= len(c.src) || c.src[c.pos] != ':' {
			return c.fail("expected :")
		}
		c.pos++
		c.out = append(c.out, ':')
		c.skipSpace()
		if err := c.value(depth); err != nil {
			return err
		}
		m.end = len(c.out)
		c.members = append(c.members, m)
		c.skipSpace()
		if c.pos >= len(c.src) {
			return c.fail("unexpected end of object")
		}
		if c.src[c.pos] == '}' {
			c.pos++
			break
		}
		if c.src[c.pos] != ',' {
			return c.fail("expected , or }")
		}
		c.pos++
		c.out = append(c.out, ',')
	}
	ms := c.members[base:]
	sorted := true
	for i := 1; i < len(ms); i++ {
		switch compareUTF16(c.key(&ms[i-1]), c.key(&ms[i])) {
		case 0:
			return c.fail(fmt.Sprintf("duplicate member %q", c.key(&ms[i])))
		case 1:
			sorted = false
		}
	}
	if !sorted {
		// Insertion sort: an object has few members, mostly in order.
		order := c.order[:0]
		for i := range ms {
			j := len(order)
			order = append(order, i)
			for ; j > 0; j-- {
				r := compareUTF16(c.key(&ms[order[j-1]]), c.key(&ms[i]))
				if r == 0 {
					return c.fail("duplicate member")
				}
				if r < 0 {
					break
				}
				order[j] = order[j-1]
			}
			order[j] = i
		}
		c.order = order
		c.scratch = append(c.scratch[:0], c.out[body:]...)
		c.out = c.out[:body]
		for k, i := range order {
			if k > 0 {
				c.out = append(c.out, ',')
			}
			c.out = append(c.out, c.scratch[ms[i].start-body:ms[i].end-body]...)
		}
	}
	c.out = append(c.out, '}')
	return nil
}

// decodeName returns the decoded bytes of the canonical string written at
// out[at:], which has escapes: only '"', '\\' and control characters are
// escaped in canonical form.
func (c *canonicaliser) decodeName(at int) []byte {
	s := c.out[at+1 : len(c.out)-1]
	var d []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			d = append(d, s[i])
			continue
		}
		i++
		switch s[i] {
		case 'b':
			d = append(d, '\b')
		case 'f':
			d = append(d, '\f')
		case 'n':
			d = append(d, '\n')
		case 'r':
			d = append(d, '\r')
		case 't':
			d = append(d, '\t')
		case 'u': // \u00xx
			v, _ := strconv.ParseUint(string(s[i+1:i+5]), 16, 8)
			d = append(d, byte(v))
			i += 4
		default: // '"' or '\\'
			d = append(d, s[i])
		}
	}
	if d == nil {
		d = []byte{}
	}
	return d
}

// str writes the string at pos in canonical form. plain says it was
// copied as it was (no escape in it, valid UTF-8), so that its bytes in
// out are its decoded bytes.
func (c *canonicaliser) str() (plain bool, err error) {
	c.pos++ // "
	start := c.pos
	ascii := true
	for c.pos < len(c.src) {
		for c.pos < len(c.src) && !stringSpecial[c.src[c.pos]] {
			c.pos++
		}
		if c.pos == len(c.src) {
			break
		}
		b := c.src[c.pos]
		if b == '"' {
			if !ascii && !utf8.Valid(c.src[start:c.pos]) {
				break
			}
			c.out = append(c.out, c.src[start-1:c.pos+1]...)
			c.pos++
			return true, nil
		}
		if b == '\\' || b < 0x20 {
			break
		}
		ascii = false // b >= 0x80
		c.pos++
	}
	// The slow path: decode escapes and invalid UTF-8, then write.
	c.pos = start
	c.out = append(c.out, '"')
	for {
		if c.pos >= len(c.src) {
			return false, c.fail("unterminated string")
		}
		b := c.src[c.pos]
		switch {
		case b == '"':
			c.pos++
			c.out = append(c.out, '"')
			return false, nil
		case b < 0x20:
			return false, c.fail("control character in string")
		case b == '\\':
			r, err := c.escape()
			if err != nil {
				return false, err
			}
			c.out = appendCanonicalRune(c.out, r)
		case b < 0x80:
			c.pos++
			c.out = append(c.out, b)
		default:
			r, n := utf8.DecodeRune(c.src[c.pos:])
			c.pos += n
			c.out = utf8.AppendRune(c.out, r) // invalid bytes read as U+FFFD
		}
	}
}

// stringSpecial marks the bytes that end a string's plain run: '"', '\\',
// control characters and the bytes of non-ASCII characters.
var stringSpecial = func() (t [256]bool) {
	for b := range 256 {
		t[b] = b == '"' || b == '\\' || b < 0x20 || b >= 0x80
	}
	return t
}()

// escape reads the escape at pos and returns the character it stands for;
// a lone surrogate reads as U+FFFD, as Go's JSON decoder reads it.
func (c *canonicaliser) escape() (rune, error) {
	if c.pos+1 >= len(c.src) {
		return 0, c.fail("unterminated escape")
	}
	e := c.src[c.pos+1]
	c.pos += 2
	switch e {
	case '"', '\\', '/':
		return rune(e), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r, ok := c.hex4()
		if !ok {
			return 0, c.fail("invalid \\u escape")
		}
		if !utf16.IsSurrogate(r) {
			return r, nil
		}
		if r < 0xDC00 && c.pos+1 < len(c.src) && c.src[c.pos] == '\\' && c.src[c.pos+1] == 'u' {
			save := c.pos
			c.pos += 2
			if r2, ok := c.hex4(); ok {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return d, nil
				}
			}
			c.pos = save
		}
		return utf8.RuneError, nil
	}
	return 0, c.fail("invalid escape")
}

func (c *canonicaliser) hex4() (rune, bool) {
	if c.pos+4 > len(c.src) {
		return 0, false
	}
	var r rune
	for _, b := range c.src[c.pos : c.pos+4] {
		switch {
		case b >= '0' && b <= '9':
			r = r<<4 | rune(b-'0')
		case b >= 'a' && b <= 'f':
			r = r<<4 | rune(b-'a'+10)
		case b >= 'A' && b <= 'F':
			r = r<<4 | rune(b-'A'+10)
		default:
			return 0, false
		}
	}
	c.pos += 4
	return r, true
}

// appendCanonicalRune writes r as JSON.stringify does in a string.
func appendCanonicalRune(b []byte, r rune) []byte {
	switch {
	case r == '"':
		return append(b, '\\', '"')
	case r == '\\':
		return append(b, '\\', '\\')
	case r == '\b':
		return append(b, '\\', 'b')
	case r == '\f':
		return append(b, '\\', 'f')
	case r == '\n':
		return append(b, '\\', 'n')
	case r == '\r':
		return append(b, '\\', 'r')
	case r == '\t':
		return append(b, '\\', 't')
	case r < 0x20:
		return append(b, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xF])
	}
	return utf8.AppendRune(b, r)
}

// number writes the number at pos as ECMAScript's Number.prototype.toString
// writes its IEEE 754 double: an integer of at most 15 digits as it is,
// others through strconv.
func (c *canonicaliser) number() error {
	start := c.pos
	if c.src[c.pos] == '-' {
		c.pos++
	}
	intStart := c.pos
	for c.pos < len(c.src) && c.src[c.pos] >= '0' && c.src[c.pos] <= '9' {
		c.pos++
	}
	digits := c.pos - intStart
	if digits == 0 || (digits > 1 && c.src[intStart] == '0') {
		return c.fail("invalid number")
	}
	integer, exponent := true, false
	var frac []byte
	if c.pos < len(c.src) && c.src[c.pos] == '.' {
		integer = false
		c.pos++
		n := c.pos
		for c.pos < len(c.src) && c.src[c.pos] >= '0' && c.src[c.pos] <= '9' {
			c.pos++
		}
		if c.pos == n {
			return c.fail("invalid number")
		}
		frac = c.src[n:c.pos]
	}
	if c.pos < len(c.src) && (c.src[c.pos] == 'e' || c.src[c.pos] == 'E') {
		integer, exponent = false, true
		c.pos++
		if c.pos < len(c.src) && (c.src[c.pos] == '+' || c.src[c.pos] == '-') {
			c.pos++
		}
		n := c.pos
		for c.pos < len(c.src) && c.src[c.pos] >= '0' && c.src[c.pos] <= '9' {
			c.pos++
		}
		if c.pos == n {
			return c.fail("invalid number")
		}
	}
	lit := c.src[start:c.pos]
	if integer && digits <= 15 {
		if string(lit) == "-0" {
			lit = lit[1:]
		}
		c.out = append(c.out, lit...)
		return nil
	}
	if !exponent && canonicalDecimal(c.src[intStart:intStart+digits], frac) {
		c.out = append(c.out, lit...)
		return nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return c.fail("number out of range")
	}
	c.out = appendES6Number(c.out, f)
	return nil
}

// canonicalDecimal says whether a number literal with integer digits and
// fraction digits frac and no exponent is already as Number::toString
// writes it: at most 15 significant digits, the last of them in the
// fraction and not 0, and
// at most 5 zeros between the point and a first significant digit of a
// number below 1. Such a decimal is the shortest that reads back as its
// double, since any two decimals of at most 15 significant digits read as
// different doubles (IEEE 754 binary64 holds 15 decimal digits).
func canonicalDecimal(digits, frac []byte) bool {
	if len(frac) == 0 || frac[len(frac)-1] == '0' {
		return false
	}
	if string(digits) == "0" {
		zeros := 0
		for zeros < len(frac) && frac[zeros] == '0' {
			zeros++
		}
		return zeros <= 5 && len(frac)-zeros <= 15
	}
	return len(digits)+len(frac) <= 15
}

// appendES6Number writes f as ECMAScript's Number::toString (ECMA-262
// 7.1.12.1): the shortest digits that read back as f, in positional
// notation for 1e-7 < |f| < 1e21 and in exponent notation otherwise.
func appendES6Number(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0')
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // d[.ddd]e±XX
	mant, exp, _ := bytes.Cut(e, []byte{'e'})
	x, _ := strconv.Atoi(string(exp))
	var ds [24]byte
	d := append(ds[:0], mant[0])
	if len(mant) > 2 {
		d = append(d, mant[2:]...)
	}
	k, n := len(d), x+1 // digits, and the decimal point's place
	switch {
	case k <= n && n <= 21:
		b = append(b, d...)
		for range n - k {
			b = append(b, '0')
		}
	case 0 < n && n <= 21:
		b = append(b, d[:n]...)
		b = append(b, '.')
		b = append(b, d[n:]...)
	case -6 < n && n <= 0:
		b = append(b, '0', '.')
		for range -n {
			b = append(b, '0')
		}
		b = append(b, d...)
	default:
		b = append(b, d[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, d[1:]...)
		}
		b = append(b, 'e')
		if n-1 >= 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(n-1), 10)
	}
	return b
}

// compareUTF16 compares two UTF-8 strings by their UTF-16 code units, the
// order RFC 8785 sorts member names in.
func compareUTF16(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	switch {
	case i == len(a) && i == len(b):
		return 0
	case i == len(a):
		return -1
	case i == len(b):
		return 1
	case a[i] < 0x80 && b[i] < 0x80:
		if a[i] < b[i] {
			return -1
		}
		return 1
	}
	// Back to the start of the runes that differ, then compare code units.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRune(a[i:])
	rb, _ := utf8.DecodeRune(b[i:])
	ua, ub := utf16Units(ra), utf16Units(rb)
	if r := slices.Compare(ua[:], ub[:]); r != 0 {
		return r
	}
	return compareUTF16(a[i+utf8.RuneLen(ra):], b[i+utf8.RuneLen(rb):])
}

func utf16Units(r rune) [2]uint16 {
	if r >= 0x10000 {
		r1, r2 := utf16.EncodeRune(r)
		return [2]uint16{uint16(r1), uint16(r2)}
	}
	return [2]uint16{uint16(r)}
}
