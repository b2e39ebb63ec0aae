package feed

import (
	"bufio"
	"errors"
	"io"
	"sync/atomic"
	"time"
)

// Decoder decodes one line (without or with its trailing newline) received
// at recv. It returns ErrIgnored for a well-formed line that carries no
// position and an error matching ErrInvalid for a bad one. DecodeSBS and
// DecodeNDJSON are Decoders.
type Decoder func(line []byte, recv time.Time) (Position, error)

// Counters count lines as a reader sees them. They are safe to read while
// the reader runs (a /metrics handler may read them at any time).
type Counters struct {
	Lines     atomic.Uint64 // every line read, good, bad or ignored
	Positions atomic.Uint64 // lines that decoded to a position
	Bad       atomic.Uint64 // lines rejected: malformed, out of range, too long
	Ignored   atomic.Uint64 // well-formed lines without a position (ErrIgnored)
}

// Scanner reads newline-terminated lines from an io.Reader, decodes each with
// its Decoder, and yields the positions. Bad lines are counted, reported to
// OnBad and skipped; only an error of the underlying reader stops it. A line
// longer than the scanner's bound is discarded up to its newline without
// being buffered whole.
type Scanner struct {
	// Source, when not empty, is written into every position's Source.
	Source string
	// OnBad, when set, is called with the 1-based number of the line in this
	// scanner's input and the error of every bad line.
	OnBad func(line uint64, err error)
	// Now gives receive times; nil means time.Now.
	Now func() time.Time

	c       *Counters
	own     Counters
	pend    counts // counted since the last publish to c
	line    uint64 // lines read by this scanner, for OnBad
	r       *bufio.Reader
	in      stampReader
	dec     Decoder
	maxLine int
	pos     Position
	err     error
}

// counts are a scanner's counts not yet added to its Counters. Adding to
// shared atomics for every line cost more than decoding it when several
// connections feed one set of counters (their cache line moves between
// cores on every add), so a scanner publishes its counts before each read
// of its input, which is where it may block, and when it stops.
type counts struct{ lines, positions, bad, ignored uint64 }

func (s *Scanner) publish() {
	if s.pend == (counts{}) {
		return
	}
	if s.pend.lines > 0 {
		s.c.Lines.Add(s.pend.lines)
	}
	if s.pend.positions > 0 {
		s.c.Positions.Add(s.pend.positions)
	}
	if s.pend.bad > 0 {
		s.c.Bad.Add(s.pend.bad)
	}
	if s.pend.ignored > 0 {
		s.c.Ignored.Add(s.pend.ignored)
	}
	s.pend = counts{}
}

// stampReader publishes the scanner's counts before every read and takes
// the receive time after it: the lines of one read arrived together, and
// reading the clock once per line (twice per line on this project's VMs'
// kvm-clock) cost a fifth of the scan.
type stampReader struct {
	r    io.Reader
	s    *Scanner
	recv time.Time
}

func (r *stampReader) Read(b []byte) (int, error) {
	r.s.publish()
	n, err := r.r.Read(b)
	if n > 0 {
		if r.s.Now != nil {
			r.recv = r.s.Now()
		} else {
			r.recv = time.Now()
		}
	}
	return n, err
}

// NewScanner returns a Scanner over r that decodes with dec and rejects lines
// longer than maxLine bytes (the newline excluded). maxLine ≤ 0 means
// MaxSBSLine.
func NewScanner(r io.Reader, dec Decoder, maxLine int) *Scanner {
	s := &Scanner{dec: dec}
	s.init(r, maxLine, &s.own)
	return s
}

// readBuffer is the scanner's read buffer size.
const readBuffer = 64 << 10

// NewSBSScanner returns a Scanner of SBS lines bounded by MaxSBSLine.
func NewSBSScanner(r io.Reader) *Scanner { return NewScanner(r, DecodeSBS, MaxSBSLine) }

// NewNDJSONScanner returns a Scanner of NDJSON position lines bounded by
// MaxNDJSONLine.
func NewNDJSONScanner(r io.Reader) *Scanner {
	return NewScanner(r, DecodeNDJSON, MaxNDJSONLine)
}

func (s *Scanner) init(r io.Reader, maxLine int, c *Counters) {
	if maxLine <= 0 {
		maxLine = MaxSBSLine
	}
	s.maxLine = maxLine
	// A large buffer means one read system call per several hundred SBS
	// lines, which halved the end-to-end cost per position; lines are still
	// bounded by maxLine (checked after each read). It is at least
	// maxLine+2 so that a line of exactly maxLine bytes and "\r\n" fits.
	s.in = stampReader{r: r, s: s}
	s.r = bufio.NewReaderSize(&s.in, max(readBuffer, maxLine+2))
	s.c = c
}

// Counters returns the scanner's counters.
func (s *Scanner) Counters() *Counters { return s.c }

// Scan advances to the next position, skipping bad and ignored lines. It
// returns false at the end of the input or on a read error (see Err).
// The Counters are brought up to date whenever Scan reads its input and
// when it returns false.
func (s *Scanner) Scan() bool {
	for s.err == nil {
		line, tooLong, err := s.readLine()
		if err != nil && len(line) == 0 && !tooLong {
			s.err = err
			break
		}
		s.line++
		s.pend.lines++
		if tooLong {
			s.bad(invalidf("line longer than %d bytes", s.maxLine))
		} else if p, derr := s.dec(line, s.in.recv); derr == nil {
			s.pend.positions++
			if s.Source != "" {
				p.Source = s.Source
			}
			s.pos = p
			if err != nil {
				s.err = err
			}
			return true
		} else if errors.Is(derr, ErrIgnored) {
			s.pend.ignored++
		} else {
			s.bad(derr)
		}
		if err != nil {
			s.err = err
		}
	}
	s.publish()
	return false
}

func (s *Scanner) bad(err error) {
	s.pend.bad++
	if s.OnBad != nil {
		s.OnBad(s.line, err)
	}
}

// readLine returns the next line without its newline. A line over the bound
// is drained to its newline and reported as tooLong. The returned slice is
// valid until the next call.
func (s *Scanner) readLine() (line []byte, tooLong bool, err error) {
	b, err := s.r.ReadSlice('\n')
	if err == nil || (err == io.EOF && len(b) > 0) {
		b = trimEOL(b)
		if len(b) > s.maxLine {
			return nil, true, nilIfEOF(err)
		}
		// A last line without a newline is still a line; the next call
		// reports io.EOF.
		return b, false, nil
	}
	if err != bufio.ErrBufferFull {
		return nil, false, err
	}
	for err == bufio.ErrBufferFull {
		_, err = s.r.ReadSlice('\n')
	}
	if err == io.EOF {
		err = nil
	}
	return nil, true, err
}

func nilIfEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// Position returns the position found by the last successful Scan.
func (s *Scanner) Position() Position { return s.pos }

// Err returns the read error that stopped the scanner, or nil at a clean end
// of input.
func (s *Scanner) Err() error {
	if s.err == io.EOF {
		return nil
	}
	return s.err
}
