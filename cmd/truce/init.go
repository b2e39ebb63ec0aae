package main

import (
	"context"
	"fmt"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/node"
)

func init() {
	register("init", "create the data directory, database, log key and first administrator", runInit)
}

func runInit(ctx context.Context, args []string) error {
	fs := newFlags("init", "init [flags]")
	cfg := storeFlags(fs)
	o := node.InitOptions{PartyKind: truce.PartyCoordinator}
	fs.StringVar(&o.PartySlug, "party", env("TRUCE_ADMIN_PARTY", "secretariat"), "slug of the administrators' party")
	fs.StringVar(&o.PartyName, "party-name", env("TRUCE_ADMIN_PARTY_NAME", "Truce secretariat"), "name of the administrators' party")
	fs.StringVar(&o.Username, "admin", env("TRUCE_ADMIN", "admin"), "administrator's username")
	fs.StringVar(&o.Password, "password", env("TRUCE_ADMIN_PASSWORD", ""), "administrator's password for the web UI (optional, 10+ characters)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	res, err := node.Init(ctx, *cfg, o)
	if err != nil {
		return err
	}
	if res.LogKeyCreated {
		fmt.Fprintf(stdout, "Created the log signing key %s\n", node.LogKeyPath(cfg.DataDir))
	}
	fmt.Fprintf(stdout, "Log verifier key: %s\n", res.LogVerifierKey)
	if cfg.KeySecret == "" {
		fmt.Fprintf(stdout, "Custodial party keys are sealed under %s: give every server of this deployment the same (copy it, or set TRUCE_KEY_SECRET).\n", node.KeySecretPath(cfg.DataDir))
	}
	if res.Token == nil {
		fmt.Fprintln(stdout, "Already initialised: nothing was changed.")
		return nil
	}
	fmt.Fprintf(stdout, "Created party %s and administrator %s.\n", res.Party.Slug, res.User.Username)
	fmt.Fprintf(stdout, "Administrator token (shown once, keep it safe):\n\n    export TRUCE_TOKEN=%s\n\n", res.Token.Secret)
	return nil
}
