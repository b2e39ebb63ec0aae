package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/node"
	"golang.org/x/mod/sumdb/note"
)

func init() {
	register("witness", "run a C2SP tlog-witness that cosigns Truce logs (one per party)", runWitness)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func runWitness(ctx context.Context, args []string) error {
	fs := newFlags("witness", "witness --key FILE --log ORIGIN=VKEY [--log ...] [--addr ADDR] [--state FILE]\n       truce witness --init-key --key FILE --name NAME")
	addr := fs.String("addr", env("TRUCE_WITNESS_ADDR", "localhost:8081"), "listen address (TRUCE_WITNESS_ADDR)")
	keyFile := fs.String("key", env("TRUCE_WITNESS_KEY", "witness.key"), "the witness's private key file (TRUCE_WITNESS_KEY)")
	state := fs.String("state", env("TRUCE_WITNESS_STATE", "witness-state.json"), "file holding the latest checkpoint cosigned per log (TRUCE_WITNESS_STATE)")
	initKey := fs.Bool("init-key", false, "create the key file and print the verifier key, then exit")
	name := fs.String("name", "", "with --init-key: the witness's name, e.g. witness.example.org/party-a")
	var logs listFlag
	fs.Var(&logs, "log", "a log to witness, as ORIGIN=VKEY or VKEY (the log verifier key; repeatable)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *initKey {
		vkey, err := initWitnessKey(*keyFile, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Created the witness key %s\nWitness verifier key: %s\n", *keyFile, vkey)
		return nil
	}
	w, vkey, err := newWitness(*keyFile, logs, *state)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Witness %s listening on %s\n", vkey, ln.Addr())
	return serveWitness(ctx, ln, w)
}

// initWitnessKey creates a witness key file (mode 0600, never overwritten)
// and returns the cosignature verifier key that logs configure.
func initWitnessKey(path, name string) (string, error) {
	if name == "" {
		return "", errors.New("witness --init-key: give the witness a --name, e.g. witness.example.org/party-a")
	}
	skey, vkey, err := ledger.GenerateCosignerKey(rand.Reader, name)
	if err != nil {
		return "", err
	}
	if err := ledger.WriteKeyFile(path, skey); err != nil {
		return "", fmt.Errorf("witness key: %w", err)
	}
	return vkey, os.WriteFile(path+".pub", []byte(vkey+"\n"), 0o644)
}

// newWitness loads the witness key and the logs it follows.
func newWitness(keyFile string, logs []string, state string) (*ledger.Witness, string, error) {
	skey, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("witness key (create one with --init-key): %w", err)
	}
	c, err := ledger.NewCosigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, "", fmt.Errorf("witness key %s: %w", keyFile, err)
	}
	if len(logs) == 0 {
		return nil, "", errors.New("witness: name at least one --log ORIGIN=VKEY")
	}
	var wl []ledger.WitnessedLog
	for _, l := range logs {
		origin, vkey := parseLogFlag(l)
		v, err := note.NewVerifier(readKeyArg(vkey))
		if err != nil {
			return nil, "", fmt.Errorf("--log %q: %w", l, err)
		}
		if origin == "" {
			origin = v.Name()
		}
		wl = append(wl, ledger.WitnessedLog{Origin: origin, Verifiers: []note.Verifier{v}})
	}
	w, err := ledger.NewWitness(c, wl, state)
	if err != nil {
		return nil, "", err
	}
	return w, c.VerifierKey(), nil
}

// parseLogFlag splits ORIGIN=VKEY. A verifier key may end in base64 padding
// and an origin holds no "=", so the split is at the first "="; a bare
// verifier key (no "=" before its first "+") names its own origin.
func parseLogFlag(s string) (origin, vkey string) {
	i, j := strings.Index(s, "="), strings.Index(s, "+")
	if i < 0 || (j >= 0 && j < i) {
		return "", s
	}
	return s[:i], s[i+1:]
}

// readKeyArg accepts a key or the name of a file holding one (such as
// DATA/log.key.pub).
func readKeyArg(s string) string {
	if !strings.Contains(s, "+") {
		if b, err := os.ReadFile(s); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return strings.TrimSpace(s)
}

// serveWitness serves POST /add-checkpoint on ln until ctx ends.
func serveWitness(ctx context.Context, ln net.Listener, w *ledger.Witness) error {
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// startLocalWitness runs a witness of the log with verifier key logVKey on
// a loopback socket until ctx ends, with its key in keyFile (created, under
// name, if missing) and its state beside it. It returns the witness as a
// node configures it, and a channel that yields the server's end.
func startLocalWitness(ctx context.Context, keyFile, name, logVKey string) (node.Witness, <-chan error, error) {
	if _, err := os.Stat(keyFile); errors.Is(err, os.ErrNotExist) {
		if _, err := initWitnessKey(keyFile, name); err != nil {
			return node.Witness{}, nil, err
		}
	}
	w, vkey, err := newWitness(keyFile, []string{logVKey}, keyFile+".state.json")
	if err != nil {
		return node.Witness{}, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return node.Witness{}, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- serveWitness(ctx, ln, w) }()
	return node.Witness{URL: "http://" + ln.Addr().String(), Key: vkey}, done, nil
}
