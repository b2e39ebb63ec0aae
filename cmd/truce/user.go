package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/truce-project/truce"
)

func init() { register("user", "add, list and disable users", runUser, "add", "list", "disable") }

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
