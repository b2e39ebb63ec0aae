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
	// OnBad, when set, is called with the 1-based line number and the error
	// of every bad line.
	OnBad func(line uint64, err error)
	// Now gives receive times; nil means time.Now.
	Now func() time.Time

	c       *Counters
	own     Counters
	r       *bufio.Reader
	dec     Decoder
	maxLine int
	pos     Position
	err     error
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
	s.r = bufio.NewReaderSize(r, max(readBuffer, maxLine+2))
	s.c = c
}

// Counters returns the scanner's counters.
func (s *Scanner) Counters() *Counters { return s.c }

// Scan advances to the next position, skipping bad and ignored lines. It
// returns false at the end of the input or on a read error (see Err).
func (s *Scanner) Scan() bool {
	for s.err == nil {
		line, tooLong, err := s.readLine()
		if err != nil && len(line) == 0 && !tooLong {
			s.err = err
			break
		}
		n := s.c.Lines.Add(1)
		if tooLong {
			s.bad(n, invalidf("line longer than %d bytes", s.maxLine))
		} else if p, derr := s.decode(line); derr == nil {
			s.c.Positions.Add(1)
			s.pos = p
			if err != nil {
				s.err = err
			}
			return true
		} else if errors.Is(derr, ErrIgnored) {
			s.c.Ignored.Add(1)
		} else {
			s.bad(n, derr)
		}
		if err != nil {
			s.err = err
		}
	}
	return false
}

func (s *Scanner) decode(line []byte) (Position, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	p, err := s.dec(line, now())
	if err == nil && s.Source != "" {
		p.Source = s.Source
	}
	return p, err
}

func (s *Scanner) bad(n uint64, err error) {
	s.c.Bad.Add(1)
	if s.OnBad != nil {
		s.OnBad(n, err)
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
