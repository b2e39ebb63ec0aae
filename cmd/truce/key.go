package main

import (
	"context"
	"fmt"

	"github.com/truce-project/truce/partykey"
)

func init() {
	register("key", "generate a key your party holds itself (the server never sees it)", runKey, "generate")
}

func runKey(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("key: want a sub-verb: generate")
	}
	switch args[0] {
	case "generate":
		fs := newFlags("key generate", "key generate --party SLUG --out FILE")
		slug := fs.String("party", "", "the party's slug: the key's name")
		out := fs.String("out", "", "file for the private key (mode 0600); the public verifier key goes to FILE.pub")
		if _, err := parse(fs, args[1:], 0); err != nil {
			return err
		}
		if *slug == "" || *out == "" {
			return fmt.Errorf("key generate: --party and --out are required")
		}
		skey, vkey, err := partykey.Generate(*slug)
		if err != nil {
			return err
		}
		if err := partykey.Write(*out, skey, vkey); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Private key: %s (keep it; the server never sees it)\nVerifier key: %s.pub\n%s\n\n"+
			"Register the verifier key (an administrator):\n    truce party add --slug %s --name NAME --kind KIND --public-key %s\n"+
			"Then decide with it:\n    truce zone approve ZONE_ID --key %s\n", *out, *out, vkey, *slug, vkey, *out)
		return nil
	}
	return fmt.Errorf("key: unknown sub-verb %q (generate)", args[0])
}
