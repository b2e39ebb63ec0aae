package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/truce-project/truce"
)

func init() { register("party", "add, list and show parties", runParty, "add", "list", "show") }

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
