package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/node"
)

func init() {
	register("demo", "run a demo deployment: the south-west Syria 2017 arrangement", runDemo)
}

// demoParty is one party of the south-west Syria de-escalation arrangement
// of July 2017 (United States, Russian Federation and Jordan as guarantors,
// with a monitoring centre in Amman).
type demoParty struct {
	slug, name string
	kind       truce.PartyKind
	user       string
	roles      []truce.Role
}

var demoParties = []demoParty{
	{"us", "United States of America", truce.PartyGuarantor, "us-operator", []truce.Role{truce.RoleOperator, truce.RolePartyAdmin}},
	{"ru", "Russian Federation", truce.PartyGuarantor, "ru-operator", []truce.Role{truce.RoleOperator, truce.RolePartyAdmin}},
	{"jo", "Hashemite Kingdom of Jordan", truce.PartyGuarantor, "jo-operator", []truce.Role{truce.RoleOperator, truce.RolePartyAdmin}},
	{"amman-mc", "Amman Monitoring Centre", truce.PartyMonitor, "amman-monitor", []truce.Role{truce.RoleObserver, truce.RoleAnalyst}},
	{"sarc", "Syrian Arab Red Crescent", truce.PartyHumanitarian, "sarc-access", []truce.Role{truce.RoleHumanitarian}},
	{"icrc", "International Committee of the Red Cross", truce.PartyHumanitarian, "icrc-access", []truce.Role{truce.RoleHumanitarian}},
}

// demoCredential is what the demo prints for one party.
type demoCredential struct {
	Party, Username, Password, Token string
}

func runDemo(ctx context.Context, args []string) error {
	fs := newFlags("demo", "demo [--data DIR] [--addr HOST:PORT]")
	dataDir := fs.String("data", "", "data directory (default: a new temporary folder)")
	addr := fs.String("addr", env("TRUCE_ADDR", "localhost:8080"), "listen address")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	start := time.Now()
	if *dataDir == "" {
		d, err := os.MkdirTemp("", "truce-demo-")
		if err != nil {
			return err
		}
		*dataDir = d
	}
	ln, err := listen(*addr, "", "")
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with --addr)", *addr, err)
	}
	cfg := node.Config{DataDir: *dataDir, Name: "south-west syria 2017"}
	creds, err := setUpDemo(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer n.Close()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Truce demo: the south-west Syria de-escalation arrangement of July 2017.\nData: %s\nServer: %s (ready in %s)\n\n", filepath.Clean(*dataDir), url, time.Since(start).Round(time.Millisecond))
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PARTY\tUSERNAME\tPASSWORD\tTOKEN")
	for _, c := range creds {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Party, c.Username, c.Password, c.Token)
	}
	w.Flush()
	fmt.Fprintf(stdout, "\nTry it (as the administrator):\n\n    export TRUCE_URL=%s TRUCE_TOKEN=%s\n    go run ./cmd/truce party list\n\nStop with Ctrl-C.\n", url, creds[0].Token)
	return n.Serve(ctx, ln)
}

// setUpDemo initialises the data directory and adds the demo's parties,
// users and tokens, unless it was set up before (then it makes new tokens).
func setUpDemo(ctx context.Context, cfg node.Config) ([]demoCredential, error) {
	adminPass := password()
	res, err := node.Init(ctx, cfg, node.InitOptions{PartySlug: "un-coordination", PartyName: "UN Coordination Office",
		PartyKind: truce.PartyCoordinator, Username: "admin", Password: adminPass})
	if err != nil {
		return nil, err
	}
	if res.Token == nil {
		return nil, fmt.Errorf("%s already holds a deployment; run the demo on a new folder", cfg.DataDir)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer n.Close()
	actx := truce.NewContext(ctx, &truce.Actor{User: res.User, Party: res.Party})
	creds := []demoCredential{{res.Party.Slug, res.User.Username, adminPass, res.Token.Secret}}
	for _, dp := range demoParties {
		p, err := n.Service.CreateParty(actx, truce.PartyCreate{Slug: dp.slug, Name: dp.name, Kind: dp.kind})
		if err != nil {
			return nil, fmt.Errorf("demo party %s: %w", dp.slug, err)
		}
		pass := password()
		u, err := n.Service.CreateUser(actx, truce.UserCreate{Party: p.ID, Username: dp.user, Name: dp.name + " duty officer", Roles: dp.roles, Password: pass})
		if err != nil {
			return nil, fmt.Errorf("demo user %s: %w", dp.user, err)
		}
		t, err := n.Service.CreateToken(actx, truce.TokenCreate{User: u.ID, Name: "demo"})
		if err != nil {
			return nil, err
		}
		creds = append(creds, demoCredential{p.Slug, u.Username, pass, t.Secret})
	}
	return creds, nil
}

func password() string {
	b := make([]byte, 9)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
