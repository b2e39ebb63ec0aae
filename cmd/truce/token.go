package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
)

func init() {
	register("token", "create, list and revoke API tokens", runToken, "create", "list", "revoke")
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
