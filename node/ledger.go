package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/note"
)

// Witness is one C2SP tlog-witness the log asks to cosign its checkpoints.
type Witness struct {
	// URL is the witness's submission prefix (the log posts to
	// URL/add-checkpoint).
	URL string
	// Key is the witness's cosignature verifier key (C2SP tlog-cosignature,
	// type 0x04), as `truce witness --init-key` prints it.
	Key string
}

// ParseWitness parses the command-line form URL=VKEY. A verifier key may end
// in base64 padding, so the split is at the first "=", which a witness URL
// does not contain.
func ParseWitness(s string) (Witness, error) {
	u, k, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || u == "" || k == "" {
		return Witness{}, fmt.Errorf("witness %q: want URL=VKEY", s)
	}
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return Witness{}, fmt.Errorf("witness %q: the URL must start with http:// or https://", s)
	}
	if _, err := ledger.NewCosignatureVerifier(k); err != nil {
		return Witness{}, fmt.Errorf("witness %q: %w", s, err)
	}
	return Witness{URL: u, Key: k}, nil
}

// DefaultWitnessMaxAge is how long a witness may go without cosigning the
// latest checkpoint before /readyz reports it.
const DefaultWitnessMaxAge = 5 * time.Minute

// witness is a configured witness and what the node saw of it.
type witness struct {
	Witness
	name     string
	verifier note.Verifier

	mu      sync.Mutex
	lastOK  time.Time // last 200 answer, or the node's start
	lastErr string
}

// RoundTrip records each successful answer, so readiness knows how long a
// witness has been failing.
func (w *witness) roundTripper(next http.RoundTripper) http.RoundTripper {
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusOK {
			w.mu.Lock()
			w.lastOK, w.lastErr = time.Now(), ""
			w.mu.Unlock()
		}
		return resp, err
	})
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// openLedger builds the signed log over the store: the signing key from the
// data directory, the witnesses from the configuration, the tile server at
// /log/, proofs in the service, a Notify after every commit, and witness
// health in /readyz.
func (n *Node) openLedger(c Config) error {
	ls := n.Store
	skey, err := os.ReadFile(LogKeyPath(c.DataDir))
	if err != nil {
		return fmt.Errorf("log signing key: %w", err)
	}
	if c.WitnessQuorum < 0 || c.WitnessQuorum > len(c.Witnesses) {
		return fmt.Errorf("witness quorum %d of %d witnesses", c.WitnessQuorum, len(c.Witnesses))
	}
	if n.Config.SelfCheck, err = ParseSelfCheck(c.SelfCheck); err != nil {
		return err
	}
	if c.WitnessMaxAge <= 0 {
		c.WitnessMaxAge = DefaultWitnessMaxAge
	}
	start := time.Now()
	var clients []*ledger.WitnessClient
	for _, wc := range c.Witnesses {
		v, err := ledger.NewCosignatureVerifier(wc.Key)
		if err != nil {
			return fmt.Errorf("witness %s: %w", wc.URL, err)
		}
		w := &witness{Witness: wc, name: v.Name(), verifier: v, lastOK: start}
		n.witnesses = append(n.witnesses, w)
		clients = append(clients, &ledger.WitnessClient{URL: wc.URL, Verifier: v,
			HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: w.roundTripper(http.DefaultTransport)}})
	}
	keys := make([]string, len(c.Witnesses))
	for i, w := range c.Witnesses {
		keys[i] = w.Key
	}
	if n.Policy, err = ledger.NewPolicy(n.LogVerifierKey, keys, c.WitnessQuorum); err != nil {
		return err
	}
	n.kept = &fileCheckpoints{Storage: ls, path: CheckpointPath(c.DataDir), size: -1}
	n.Ledger, err = ledger.NewLog(n.kept, string(skey), ledger.LogOptions{
		Interval:  c.SignInterval,
		Witnesses: clients,
		OnWitnessError: func(name string, err error) {
			for _, w := range n.witnesses {
				if w.name == name {
					w.mu.Lock()
					w.lastErr = err.Error()
					w.mu.Unlock()
				}
			}
			n.log.Warn("witness did not cosign", slog.String("witness", name), slog.Any("err", err))
		},
	})
	if err != nil {
		return fmt.Errorf("log signing key: %w", err)
	}
	if got := n.Ledger.VerifierKey(); got != n.LogVerifierKey {
		return fmt.Errorf("log.key and log.key.pub in %s do not match", c.DataDir)
	}
	n.witnessMaxAge = c.WitnessMaxAge
	n.Journal.Ledger = ls
	observe := n.API.ObserveAppend
	n.Journal.OnAppend = func(kind string, index int64) {
		observe(kind, index)
		n.Ledger.Notify()
	}
	n.API.HandleRaw("/log/", http.StripPrefix("/log", ledger.NewTileServer(ls)))
	n.API.Ready = n.ready
	n.integrityMetrics(n.API.Registry())
	return nil
}

// startLedger signs a checkpoint for the tree as it is (so /log/checkpoint
// answers from the first request), starts the self-check unless it is off,
// and starts signing after commits until Close. A tree that does not extend the last signed checkpoint stops the
// start-up: the history was rewritten, and an operator must look.
func (n *Node) startLedger() error {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	n.stopLedger = func() { cancel(); wg.Wait() }
	if err := n.checkKeptCheckpoint(ctx, n.kept); err != nil {
		cancel()
		return err
	}
	if _, _, err := n.Ledger.Sign(ctx); err != nil && !errors.Is(err, ledger.ErrTooSoon) {
		if errors.Is(err, ledger.ErrInconsistent) {
			cancel()
			return err
		}
		n.log.Error("signing the first checkpoint", slog.Any("err", err))
	}
	if n.Config.SelfCheck != SelfCheckOff {
		n.startSelfCheck(ctx, &wg)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.Ledger.Run(ctx, func(err error) {
			n.log.Error("signing a checkpoint", slog.Any("err", err))
		})
	}()
	// Entries committed between the first signature and Run's start.
	n.Ledger.Notify()
	return nil
}

// ready reports each witness whose cosignature is missing from the latest
// checkpoint and that has not answered for longer than the allowed age, and
// a latest checkpoint that falls short of the witness quorum.
func (n *Node) ready(ctx context.Context) []string {
	if n.Ledger == nil {
		return nil
	}
	problems := append(n.selfCheck.problems(), n.refresh.problems()...)
	problems = append(problems, n.vouchProblems(ctx)...)
	signed, err := n.Journal.Ledger.LatestCheckpoint(ctx)
	if errors.Is(err, ledger.ErrNotFound) {
		return append(problems, "log: no signed checkpoint yet")
	}
	if err != nil {
		return append(problems, "log: cannot read the latest checkpoint")
	}
	cosigned := 0
	now := time.Now()
	for _, w := range n.witnesses {
		if _, err := note.Open(signed, note.VerifierList(w.verifier)); err == nil {
			cosigned++
			continue
		}
		w.mu.Lock()
		age, lastErr := now.Sub(w.lastOK), w.lastErr
		w.mu.Unlock()
		if age > n.witnessMaxAge {
			p := fmt.Sprintf("witness %s (%s): has not cosigned for %s", w.name, w.URL, age.Round(time.Second))
			if lastErr != "" {
				p += ": " + lastErr
			}
			problems = append(problems, p)
		}
	}
	if cosigned < n.Policy.Quorum && len(problems) > 0 {
		problems = append(problems, fmt.Sprintf("log: the latest checkpoint has %d of the %d witness cosignatures required", cosigned, n.Policy.Quorum))
	}
	return problems
}
