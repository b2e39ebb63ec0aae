package main

import (
	"context"
	"flag"
	"net"
	"strconv"

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
	return c
}

func runServe(ctx context.Context, args []string) error {
	fs := newFlags("serve", "serve [flags]")
	cfg := storeFlags(fs)
	addr := fs.String("addr", env("TRUCE_ADDR", "localhost:8080"), "listen address (TRUCE_ADDR)")
	fs.StringVar(&cfg.SBSListen, "sbs-listen", env("TRUCE_SBS_LISTEN", ""), "accept pushed SBS-1 (BaseStation) streams on this address (TRUCE_SBS_LISTEN)")
	maxBody := fs.Int64("max-body", envInt("TRUCE_MAX_BODY", 1<<20), "request body limit in bytes (TRUCE_MAX_BODY)")
	tlsCert := fs.String("tls-cert", env("TRUCE_TLS_CERT", ""), "TLS certificate file (TRUCE_TLS_CERT)")
	tlsKey := fs.String("tls-key", env("TRUCE_TLS_KEY", ""), "TLS key file (TRUCE_TLS_KEY)")
	fs.StringVar(&cfg.TileURL, "tile-url", env("TRUCE_TILE_URL", ""), "online map tiles for the web UI, like https://tile.example/{z}/{x}/{y}.png (TRUCE_TILE_URL)")
	witnesses := witnessFlags(fs, cfg)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if err := witnesses(); err != nil {
		return err
	}
	cfg.MaxBodyBytes = *maxBody
	n, err := node.Open(ctx, *cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	ln, err := listen(*addr, *tlsCert, *tlsKey)
	if err != nil {
		return err
	}
	return n.Serve(ctx, ln)
}

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(env(name, ""), 10, 64); err == nil {
		return v
	}
	return def
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
