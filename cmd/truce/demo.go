package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/demo"
	"github.com/truce-project/truce/node"
)

func init() {
	register("demo", "run a demo deployment: the south-west Syria 2017 arrangement", runDemo)
}

func runDemo(ctx context.Context, args []string) error {
	fs := newFlags("demo", "demo [--data DIR] [--addr HOST:PORT]")
	dataDir := fs.String("data", "", "data directory (default: a new temporary folder)")
	addr := fs.String("addr", env("TRUCE_ADDR", "localhost:8080"), "listen address")
	speed := fs.Float64("traffic-speed", 1, "replay speed of the demo's live air traffic (0 turns it off)")
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
	// The demo's data is illustrative or relocated: its alerts are an
	// exercise's.
	cfg := node.Config{DataDir: *dataDir, Name: "south-west syria 2017", Exercise: true}
	sc, err := demo.Setup(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	// A witness per guarantor, in this process on its own loopback
	// socket, cosigns every checkpoint: the demo's proofs carry the
	// cosignatures a party would require.
	wctx, stopWitnesses := context.WithCancel(ctx)
	var witnessDone []<-chan error
	defer func() {
		stopWitnesses()
		for _, d := range witnessDone {
			<-d
		}
	}()
	logKey, err := os.ReadFile(node.LogKeyPath(*dataDir) + ".pub")
	if err != nil {
		ln.Close()
		return err
	}
	var witnessOf []string
	for _, p := range demo.Parties {
		if p.Kind != truce.PartyGuarantor {
			continue
		}
		w, done, err := startLocalWitness(wctx, filepath.Join(*dataDir, "witness-"+p.Slug+".key"), "witness.truce-demo/"+p.Slug, strings.TrimSpace(string(logKey)))
		if err != nil {
			ln.Close()
			return fmt.Errorf("demo witness of %s: %w", p.Slug, err)
		}
		witnessDone = append(witnessDone, done)
		witnessOf = append(witnessOf, p.Slug)
		cfg.Witnesses = append(cfg.Witnesses, w)
	}
	cfg.WitnessQuorum = len(cfg.Witnesses)
	n, err := node.Open(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer n.Close()
	var traffic *demo.Traffic
	if *speed > 0 {
		if traffic, err = demo.StartTraffic(ctx, n, sc, *speed); err != nil {
			ln.Close()
			return err
		}
	}
	shelling, err := demo.ReportShelling(ctx, n)
	if err != nil {
		ln.Close()
		return err
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Truce demo: %s.\nData: %s\nServer: %s (ready in %s)\nLog verifier key: %s\n\n",
		sc.Agreement.Title, filepath.Clean(*dataDir), url, time.Since(start).Round(time.Millisecond), n.LogVerifierKey)
	fmt.Fprintln(stdout, "Witnesses, one per guarantor, cosigning every checkpoint:")
	for i, w := range cfg.Witnesses {
		fmt.Fprintf(stdout, "  witness of %s: %s\n", witnessOf[i], w.Key)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "%d zones in force (approved by the United States, the Russian Federation and Jordan); %d awaiting Russia's and Jordan's decisions.\n\n", len(sc.InForce), len(sc.Pending))
	if traffic != nil {
		fmt.Fprintf(stdout, "Live air traffic: real recorded flights %s, replayed RELOCATED over south-west Syria and shifted to now;\n"+
			"expect a predicted entry, then an entry into %q after %s, and a close pass between US and Russian aircraft after %s.\n\n",
			strings.Join(traffic.Flights, " and "), traffic.Zone, traffic.Entry.Round(time.Second), traffic.Meet.Round(time.Second))
	}
	printShelling(shelling)
	if o := sc.Operations; o != nil {
		fmt.Fprintf(stdout, "Planned operations (illustrative): a US air patrol over Dar'a; a Russian ground patrol past the Dar'a field hospital (%d warning);\n"+
			"a Russian strike package refused while it overlapped the US patrol, filed with its window moved and its override of the\n"+
			"de-escalation zone's rule journalled for every party; a joint US-Russian strike on ISIS positions approved by both:\n\n    go run ./cmd/truce op list\n    go run ./cmd/truce op show %s\n\n",
			len(o.RUPatrol.Conflicts), o.Joint.Operation.ID)
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PARTY\tUSERNAME\tPASSWORD\tTOKEN")
	for _, c := range sc.Credentials {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Party, c.Username, c.Password, c.Token)
	}
	for _, c := range shelling.Credentials {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", c.Party, c.Username, c.Password, c.Token)
	}
	w.Flush()
	token := map[string]string{}
	for _, c := range sc.Credentials {
		token[c.Party] = c.Token
	}
	requireFlags := ""
	for _, w := range cfg.Witnesses {
		requireFlags += " --require-witness '" + w.Key + "'"
	}
	corridor := sc.Pending[0].ZoneID
	fmt.Fprintf(stdout, "\nTry it:\n\n    export TRUCE_URL=%s TRUCE_TOKEN=%s\n    go run ./cmd/truce party list\n    go run ./cmd/truce zone list --at now\n\n"+
		"The Russian Federation holds its own key (%s); the server has only its verifier key.\n"+
		"As Russia, decide on the pending corridor: the CLI fetches the statement, checks it names this zone and version, and signs it here:\n\n"+
		"    TRUCE_TOKEN=%s go run ./cmd/truce zone approve %s --key %s\n\n"+
		"(or sign in the browser: log in as ru-operator, open the zone and load the key file.)\n\n"+
		"As Jordan (a custodial key, kept by the server), decide on it too:\n\n    TRUCE_TOKEN=%s go run ./cmd/truce zone approve %s\n\n"+
		"Audit the log, every body you may read and every party's signature in them, requiring each witness's cosignature:\n\n    go run ./cmd/truce log audit %s --key '%s'%s --bodies\n\nStop with Ctrl-C.\n",
		url, token["un-coordination"], sc.KeyFiles["ru"], token["ru"], corridor, sc.KeyFiles["ru"], token["jo"], corridor, url, n.LogVerifierKey, requireFlags)
	return n.Serve(ctx, ln)
}

// printShelling tells what the demo's illustrative observation did.
func printShelling(s *demo.Shelling) {
	i := s.Incident
	fmt.Fprintf(stdout, "Ceasefire observation (ILLUSTRATIVE DATA): two teams of the Amman Monitoring Centre heard shelling east of Dar'a\n"+
		"and filed bearings; one incident, cross-fixed to %.4f,%.4f ± %.0f m, %s by the centre", i.Center.Lon, i.Center.Lat, i.Radius, i.Status)
	for _, v := range i.Violations {
		fmt.Fprintf(stdout, "; violation: %s in %s zone %s", v.Activity, v.ZoneKind, v.ZoneID)
	}
	fmt.Fprintf(stdout, ".\nSee /incidents/%s and the alerts.\n\n", i.ID)
}
