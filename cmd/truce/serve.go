package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/node"
)

func init() {
	register("serve", "run the server", runServe)
	register("migrate", "apply database migrations and exit", runMigrate)
}

// storeFlags adds --data, --db and --name with their TRUCE_* equivalents.
func storeFlags(fs *flag.FlagSet) *node.Config {
	c := &node.Config{}
	fs.StringVar(&c.DataDir, "data", env("TRUCE_DATA", "truce-data"), "data directory (TRUCE_DATA)")
	fs.StringVar(&c.DB, "db", env("TRUCE_DB", ""), "postgres:// DSN or SQLite file; default DATA/truce.db (TRUCE_DB)")
	fs.StringVar(&c.Name, "name", env("TRUCE_NAME", "truce"), "deployment name; the log origin derives from it (TRUCE_NAME)")
	c.KeySecret = env("TRUCE_KEY_SECRET", "")
	fs.Var(secretFlag{&c.KeySecret}, "key-secret", "secret custodial party keys are sealed under in the database, the same on every server; default DATA/key-secret (TRUCE_KEY_SECRET, better than the flag, which ps shows)")
	return c
}

func runServe(ctx context.Context, args []string) error {
	fs := newFlags("serve", "serve [flags]")
	cfg := storeFlags(fs)
	addr := fs.String("addr", env("TRUCE_ADDR", "localhost:8080"), "listen address (TRUCE_ADDR)")
	fs.StringVar(&cfg.SBSListen, "sbs-listen", env("TRUCE_SBS_LISTEN", ""), "accept pushed SBS-1 (BaseStation) streams on this address (TRUCE_SBS_LISTEN)")
	maxBody := fs.String("max-body", env("TRUCE_MAX_BODY", "1048576"), "request body limit in bytes (TRUCE_MAX_BODY)")
	tlsCert := fs.String("tls-cert", env("TRUCE_TLS_CERT", ""), "TLS certificate file (TRUCE_TLS_CERT)")
	tlsKey := fs.String("tls-key", env("TRUCE_TLS_KEY", ""), "TLS key file (TRUCE_TLS_KEY)")
	fs.StringVar(&cfg.TileURL, "tile-url", env("TRUCE_TILE_URL", ""), "online map tiles for the web UI, like https://tile.example/{z}/{x}/{y}.png (TRUCE_TILE_URL)")
	staleAfter := fs.String("stale-after", env("TRUCE_STALE_AFTER", "60s"), "the airspace monitor drops a track silent this long (TRUCE_STALE_AFTER)")
	lookAhead := fs.String("look-ahead", env("TRUCE_LOOK_AHEAD", "120s"), "how far ahead the monitor predicts zone entries; 0 turns prediction off (TRUCE_LOOK_AHEAD)")
	headerTimeout := fs.String("header-timeout", env("TRUCE_HEADER_TIMEOUT", "10s"), "how long a request's line and headers may take to arrive (TRUCE_HEADER_TIMEOUT)")
	bodyTimeout := fs.String("body-timeout", env("TRUCE_BODY_TIMEOUT", "30s"), "how long a request's body may take to arrive; responses such as event streams are not limited (TRUCE_BODY_TIMEOUT)")
	writeLimit := fs.String("write-limit", env("TRUCE_WRITE_LIMIT", "10/100"), "each user's writes, all their tokens together: RATE/BURST (a second, then at once) or off (TRUCE_WRITE_LIMIT)")
	feedLimit := fs.String("feed-limit", env("TRUCE_FEED_LIMIT", "50/200"), "each token's position batches (POST /api/v1/positions): RATE/BURST or off (TRUCE_FEED_LIMIT)")
	maxTracks := fs.String("max-tracks", env("TRUCE_MAX_TRACKS", "20000"), "capacity of the monitor's track table: the most aircraft tracked at once (TRUCE_MAX_TRACKS)")
	maxDelay := fs.String("max-delay", env("TRUCE_MAX_DELAY", "120s"), "the latency the monitor accepts: later reports are refused as too old; at most 1h (TRUCE_MAX_DELAY)")
	witnesses := witnessFlags(fs, cfg)
	applyRuntime := runtimeFlags(fs)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	var err error
	if cfg.MaxBodyBytes, err = strconv.ParseInt(*maxBody, 10, 64); err != nil || cfg.MaxBodyBytes <= 0 {
		return fmt.Errorf("--max-body %q: want a number of bytes", *maxBody)
	}
	if cfg.StaleAfter, err = positiveDuration("stale-after", *staleAfter, false); err != nil {
		return err
	}
	if cfg.LookAhead, err = positiveDuration("look-ahead", *lookAhead, true); err != nil {
		return err
	}
	if cfg.HeaderTimeout, err = positiveDuration("header-timeout", *headerTimeout, false); err != nil {
		return err
	}
	if cfg.BodyTimeout, err = positiveDuration("body-timeout", *bodyTimeout, false); err != nil {
		return err
	}
	if cfg.WriteLimit, err = api.ParseRateLimit(*writeLimit); err != nil {
		return fmt.Errorf("--write-limit %w", err)
	}
	if cfg.FeedLimit, err = api.ParseRateLimit(*feedLimit); err != nil {
		return fmt.Errorf("--feed-limit %w", err)
	}
	if cfg.LookAhead == 0 {
		cfg.LookAhead = -1 // the monitor's "off"
	}
	if cfg.MaxTracks, err = strconv.Atoi(*maxTracks); err != nil || cfg.MaxTracks < 1 || cfg.MaxTracks > 10_000_000 {
		return fmt.Errorf("--max-tracks %q: want a number of aircraft from 1 to 10000000", *maxTracks)
	}
	if cfg.MaxDelay, err = positiveDuration("max-delay", *maxDelay, false); err != nil {
		return err
	}
	if cfg.MaxDelay > time.Hour {
		return fmt.Errorf("--max-delay %s: at most 1h (feeds' reports older than that are refused as not live)", *maxDelay)
	}
	if err := witnesses(); err != nil {
		return err
	}
	sizeMemoryLimit, stopPprof, err := applyRuntime(ctx)
	if err != nil {
		return err
	}
	defer stopPprof()
	n, err := node.Open(ctx, *cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	sizeMemoryLimit(cfg.MaxTracks)
	ln, err := listen(*addr, *tlsCert, *tlsKey)
	if err != nil {
		return err
	}
	return n.Serve(ctx, ln)
}

// positiveDuration reads a flag's duration ("90s", "2m"); zero is allowed
// only where it means off.
func positiveDuration(flag, v string, zeroOK bool) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("--%s %q: want a duration like 90s or 2m", flag, v)
	case d < 0 || (d == 0 && !zeroOK):
		return 0, fmt.Errorf("--%s %s: want a positive duration", flag, v)
	}
	return d, nil
}

func listen(addr, cert, key string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if cert == "" {
		return ln, nil
	}
	return tlsListener(ln, cert, key)
}

func runMigrate(ctx context.Context, args []string) error {
	fs := newFlags("migrate", "migrate [flags]")
	cfg := storeFlags(fs)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	n, err := node.Migrate(ctx, *cfg)
	if err != nil {
		return err
	}
	if n == 0 {
		println0("The database is up to date.")
	} else {
		println0("Applied " + strconv.Itoa(n) + " migration(s).")
	}
	return nil
}

// secretFlag is a flag whose value --help never prints (its default may
// come from the environment).
type secretFlag struct{ p *string }

func (f secretFlag) String() string { return "" }

func (f secretFlag) Set(v string) error { *f.p = v; return nil }
