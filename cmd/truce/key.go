package main

import (
	"context"
	"fmt"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/partykey"
)

func init() {
	register("key", "generate and rotate a key your party holds itself (the server never sees it)", runKey, "generate", "rotate")
}

func runKey(ctx context.Context, args []string) error {
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
	case "rotate":
		fs := newFlags("key rotate", "key rotate --key OLD --out NEW")
		old := fs.String("key", "", "your party's current key file")
		out := fs.String("out", "", "file for the new private key (mode 0600); its verifier key goes to NEW.pub")
		var cf clientFlags
		cf.add(fs)
		if _, err := parse(fs, args[1:], 0); err != nil {
			return err
		}
		if *old == "" || *out == "" {
			return fmt.Errorf("key rotate: --key and --out are required")
		}
		cur, err := partykey.Load(*old)
		if err != nil {
			return err
		}
		cl, err := cf.client()
		if err != nil {
			return err
		}
		skey, vkey, err := partykey.Generate(cur.Signer.Name())
		if err != nil {
			return err
		}
		// The new key is on disk before the server hears of it: a key the
		// server has but nobody holds would lock the party out.
		if err := partykey.Write(*out, skey, vkey); err != nil {
			return err
		}
		next, err := partykey.Load(*out)
		if err != nil {
			return err
		}
		msg, err := partykey.RotationNote(cur, next)
		if err != nil {
			return err
		}
		p, err := cl.RotatePartyKey(ctx, truce.KeyRotation{Note: msg})
		if err != nil {
			return fmt.Errorf("the server refused the rotation (%v); %s stays your key", err, *old)
		}
		if cf.json {
			return printJSON(p)
		}
		fmt.Fprintf(stdout, "Party %s's key is now %s (journal %d).\nSign with %s from now on; %s signs nothing new (keep it to show what it signed).\n",
			p.Slug, p.PublicKey, p.JournalIndex, *out, *old)
		return nil
	}
	return fmt.Errorf("key: unknown sub-verb %q (generate or rotate)", args[0])
}
