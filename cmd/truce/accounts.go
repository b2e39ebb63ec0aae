package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/partykey"
)

func init() {
	register("party", "add, list and show parties", runParty, "add", "list", "show")
	register("user", "add, list and disable users", runUser, "add", "list", "disable")
	register("token", "create, list and revoke API tokens", runToken, "create", "list", "revoke")
	register("key", "generate and rotate a key your party holds itself (the server never sees it)", runKey, "generate", "rotate")
}

func runParty(ctx context.Context, args []string) error {
	var cf clientFlags
	switch args[0] {
	case "add":
		fs := newFlags("party add", "party add --slug SLUG --name NAME --kind KIND [--public-key VKEY]")
		var c truce.PartyCreate
		fs.StringVar(&c.Slug, "slug", "", "short identifier (lower-case letters, digits, hyphens)")
		fs.StringVar(&c.Name, "name", "", "full name")
		kind := fs.String("kind", "", "guarantor, monitor, humanitarian or coordinator")
		fs.StringVar(&c.PublicKey, "public-key", "", "the party's own Ed25519 verifier key (C2SP note format); omit for a custodial key")
		cf.add(fs)
		if _, err := parse(fs, args[1:], 0); err != nil {
			return err
		}
		c.Kind = truce.PartyKind(*kind)
		cl, err := cf.client()
		if err != nil {
			return err
		}
		p, err := cl.CreateParty(ctx, c)
		if err != nil {
			return err
		}
		return showParty(p, cf.json)
	case "list":
		fs := newFlags("party list", "party list [--kind KIND]")
		kind := fs.String("kind", "", "only parties of this kind")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		var all []*truce.Party
		for cursor := ""; ; {
			ps, next, err := cl.ListParties(ctx, truce.PartyFilter{Kind: truce.PartyKind(*kind), Cursor: cursor})
			if err != nil {
				return err
			}
			all = append(all, ps...)
			if next == "" {
				break
			}
			cursor = next
		}
		if cf.json {
			return printJSON(all)
		}
		table("SLUG\tKIND\tNAME\tKEY", func(w *tabwriter.Writer) {
			for _, p := range all {
				key := "own"
				if p.Custodial {
					key = "custodial"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.Slug, p.Kind, p.Name, key)
			}
		})
		return nil
	case "show":
		fs := newFlags("party show", "party show ID|SLUG")
		cf.add(fs)
		rest, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		p, err := cl.FindParty(ctx, rest[0])
		if err != nil {
			return err
		}
		return showParty(p, cf.json)
	}
	return fmt.Errorf("party: unknown sub-verb %q (add, list or show)", args[0])
}

func showParty(p *truce.Party, asJSON bool) error {
	if asJSON {
		return printJSON(p)
	}
	fmt.Fprintf(stdout, "id:         %s\nslug:       %s\nname:       %s\nkind:       %s\npublic key: %s\ncustodial:  %v\njournal:    %d\n",
		p.ID, p.Slug, p.Name, p.Kind, p.PublicKey, p.Custodial, p.JournalIndex)
	return nil
}

func runUser(ctx context.Context, args []string) error {
	var cf clientFlags
	switch args[0] {
	case "add":
		fs := newFlags("user add", "user add --party SLUG --username NAME --roles ROLE[,ROLE] [--name NAME] [--password P]")
		var c truce.UserCreate
		fs.StringVar(&c.Party, "party", "", "party id or slug")
		fs.StringVar(&c.Username, "username", "", "login name")
		fs.StringVar(&c.Name, "name", "", "full name")
		roles := fs.String("roles", "", "comma-separated: admin, party_admin, operator, observer, humanitarian, analyst, viewer")
		fs.StringVar(&c.Password, "password", env("TRUCE_USER_PASSWORD", ""), "password for the web UI (optional; TRUCE_USER_PASSWORD)")
		cf.add(fs)
		if _, err := parse(fs, args[1:], 0); err != nil {
			return err
		}
		for _, r := range strings.Split(*roles, ",") {
			if r = strings.TrimSpace(r); r != "" {
				c.Roles = append(c.Roles, truce.Role(r))
			}
		}
		cl, err := cf.client()
		if err != nil {
			return err
		}
		u, err := cl.CreateUser(ctx, c)
		if err != nil {
			return err
		}
		return showUsers([]*truce.User{u}, cf.json)
	case "list":
		fs := newFlags("user list", "user list [--party SLUG]")
		party := fs.String("party", "", "only this party's users")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		var all []*truce.User
		for cursor := ""; ; {
			us, next, err := cl.ListUsers(ctx, truce.UserFilter{Party: *party, Cursor: cursor})
			if err != nil {
				return err
			}
			all = append(all, us...)
			if next == "" {
				break
			}
			cursor = next
		}
		return showUsers(all, cf.json)
	case "disable":
		fs := newFlags("user disable", "user disable ID|USERNAME [--if-version N]")
		ver := fs.Int64("if-version", 0, "only if the user is at this version")
		cf.add(fs)
		rest, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		u, err := cl.DisableUser(ctx, rest[0], *ver)
		if err != nil {
			return err
		}
		return showUsers([]*truce.User{u}, cf.json)
	}
	return fmt.Errorf("user: unknown sub-verb %q (add, list or disable)", args[0])
}

func showUsers(us []*truce.User, asJSON bool) error {
	if asJSON {
		return printJSON(us)
	}
	table("USERNAME\tID\tPARTY\tROLES\tSTATE", func(w *tabwriter.Writer) {
		for _, u := range us {
			state := "active"
			if u.Disabled {
				state = "disabled"
			}
			roles := make([]string, len(u.Roles))
			for i, r := range u.Roles {
				roles[i] = string(r)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.Username, u.ID, u.PartyID, strings.Join(roles, ","), state)
		}
	})
	return nil
}

func runToken(ctx context.Context, args []string) error {
	var cf clientFlags
	switch args[0] {
	case "create":
		fs := newFlags("token create", "token create --name NAME [--user USER] [--expires 720h|RFC3339]")
		var c truce.TokenCreate
		fs.StringVar(&c.Name, "name", "", "what the token is for")
		fs.StringVar(&c.User, "user", "", "user id or username (default: yourself)")
		exp := fs.String("expires", "", "expiry: a duration from now (720h) or an RFC 3339 time")
		cf.add(fs)
		if _, err := parse(fs, args[1:], 0); err != nil {
			return err
		}
		if *exp != "" {
			t, err := parseExpiry(*exp)
			if err != nil {
				return err
			}
			c.ExpiresAt = &t
		}
		cl, err := cf.client()
		if err != nil {
			return err
		}
		t, err := cl.CreateToken(ctx, c)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(t)
		}
		fmt.Fprintf(stdout, "Token %s created (shown once, keep it safe):\n\n    %s\n", t.ID, t.Secret)
		return nil
	case "list":
		fs := newFlags("token list", "token list [--user USER]")
		user := fs.String("user", "", "user id or username (default: yourself)")
		cf.add(fs)
		_, cl, err := cf.parse(fs, args[1:], 0)
		if err != nil {
			return err
		}
		ts, err := cl.ListTokens(ctx, *user)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(ts)
		}
		table("ID\tNAME\tCREATED\tEXPIRES\tSTATE", func(w *tabwriter.Writer) {
			for _, t := range ts {
				state, exp := "active", "never"
				if t.ExpiresAt != nil {
					exp = t.ExpiresAt.Format(time.RFC3339)
				}
				if !t.Active(time.Now()) {
					state = "inactive"
				}
				if t.RevokedAt != nil {
					state = "revoked"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.CreatedAt.Format(time.RFC3339), exp, state)
			}
		})
		return nil
	case "revoke":
		fs := newFlags("token revoke", "token revoke ID")
		cf.add(fs)
		rest, cl, err := cf.parse(fs, args[1:], 1)
		if err != nil {
			return err
		}
		t, err := cl.RevokeToken(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Token %s revoked at %s.\n", t.ID, t.RevokedAt.Format(time.RFC3339))
		return nil
	}
	return fmt.Errorf("token: unknown sub-verb %q (create, list or revoke)", args[0])
}

func parseExpiry(s string) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--expires must be in the future")
		}
		return time.Now().Add(d).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--expires %q is neither a duration (720h) nor an RFC 3339 time", s)
	}
	return t, nil
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
