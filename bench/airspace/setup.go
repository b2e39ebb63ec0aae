package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/node"
)

// tokens are the bearer tokens a data directory was made with: the
// administrator's (who sees every alert on the event stream) and a
// signatory party's operator (who may post positions).
type tokens struct {
	Admin    string `json:"admin"`
	Operator string `json:"operator"`
}

const tokensFile = "bench-tokens.json"

func readTokens(dir string) (tokens, error) {
	var t tokens
	b, err := os.ReadFile(filepath.Join(dir, tokensFile))
	if err != nil {
		return t, fmt.Errorf("%s: not a data directory made by `airspace setup`: %w", dir, err)
	}
	return t, json.Unmarshal(b, &t)
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// deployment is a data directory being filled with zones through the
// service, as users would propose and approve them (journalled, signed),
// without a running monitor, whose zone reloads on every change would make
// loading thousands of zones quadratic.
type deployment struct {
	dir   string
	svc   *node.Base
	close func() error
	op    context.Context // the signatory party's operator
	ag    string          // agreement id
}

func newDeployment(ctx context.Context, dir string) (*deployment, error) {
	cfg := node.Config{DataDir: dir, Name: "bench", Logger: quietLogger()}
	res, err := node.Init(ctx, cfg, node.InitOptions{PartySlug: "secretariat", PartyName: "Secretariat",
		PartyKind: truce.PartyCoordinator, Username: "admin"})
	if err != nil {
		return nil, err
	}
	if res.Token == nil {
		return nil, fmt.Errorf("%s already holds a deployment", dir)
	}
	svc, err := node.OpenService(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st := svc.Store
	d := &deployment{dir: dir, svc: svc, close: st.Close}
	admin := truce.NewContext(ctx, &truce.Caller{User: res.User, Party: res.Party})
	p, err := svc.Accounts.CreateParty(admin, truce.PartyCreate{Slug: "us", Name: "United States", Kind: truce.PartyGuarantor})
	if err != nil {
		return nil, err
	}
	u, err := svc.Accounts.CreateUser(admin, truce.UserCreate{Party: p.ID, Username: "us-op", Name: "Duty officer", Roles: []truce.Role{truce.RoleOperator}})
	if err != nil {
		return nil, err
	}
	tok, err := svc.Accounts.CreateToken(admin, truce.TokenCreate{User: u.ID, Name: "bench"})
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(tokens{Admin: res.Token.Secret, Operator: tok.Secret})
	if err := os.WriteFile(filepath.Join(dir, tokensFile), b, 0o600); err != nil {
		return nil, err
	}
	d.op = truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
	ag, err := svc.Zones.CreateAgreement(d.op, truce.AgreementCreate{Title: "Benchmark memorandum", Signatories: []string{"us"},
		EffectiveFrom: time.Now().Add(-time.Hour).UTC()})
	if err != nil {
		return nil, err
	}
	if ag, err = truce.AgreeAll(svc.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, d.op); err != nil {
		return nil, err
	}
	d.ag = ag.ID
	return d, nil
}

// addZones imports fences as no-fly zones (in batches, each one
// transaction) and approves every one, so all are in force.
func (d *deployment) addZones(fs []fence) error {
	const batch = 2000
	for i := 0; i < len(fs); i += batch {
		part := fs[i:min(i+batch, len(fs))]
		var b []byte
		b = append(b, `{"type":"FeatureCollection","features":[`...)
		for k, f := range part {
			if k > 0 {
				b = append(b, ',')
			}
			fl, ce := flightLevel(f.FloorFt), flightLevel(f.CeilFt)
			b = append(b, fmt.Sprintf(`{"type":"Feature","properties":{"name":%q,"floor":%q,"ceiling":%q},"geometry":`, f.Name, fl, ce)...)
			b = append(b, geoJSON(f.Geometry)...)
			b = append(b, '}')
		}
		b = append(b, "]}"...)
		// Repair: two of OCHA's polygons carry centimetre bow-ties, which
		// the service would otherwise refuse; MakeValid mends them.
		vs, err := d.svc.Zones.ImportZones(d.op, truce.ZoneImport{Agreement: d.ag, Features: b,
			Defaults: truce.ZoneProposal{Kind: truce.ZoneNoFly, Repair: true}})
		if err != nil {
			return fmt.Errorf("importing fences %d–%d: %w", i, i+len(part)-1, err)
		}
		// Decisions from a few goroutines: concurrent writes share commits.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for w := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := w; k < len(vs); k += len(errs) {
					if _, err := d.svc.Zones.DecideZone(d.op, vs[k].ZoneID, vs[k].Version, truce.ZoneDecision{Approve: true}); err != nil && errs[w] == nil {
						errs[w] = err
					}
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return fmt.Errorf("approving fences %d–%d: %w", i, i+len(part)-1, err)
			}
		}
	}
	return nil
}

// flightLevel names a band's end as a zone's floor or ceiling: SFC, UNL
// or a flight level.
func flightLevel(ft float64) string {
	switch {
	case math.IsInf(ft, -1):
		return "SFC"
	case math.IsInf(ft, 1):
		return "UNL"
	}
	return fmt.Sprintf("FL%03.0f", ft/100)
}

// setup makes one data directory per zone count under root, each holding
// the first n fences of the scenario as no-fly zones in force: z1000,
// z5000, ... for the real polygons, d1000, d5000, ... for the dense
// scenario's small fences. The larger directories are copies of the
// smaller ones with the extra zones added.
func setup(ctx context.Context, root, polygons, scenario string, counts []int) error {
	sort.Ints(counts)
	counts = slices.Compact(counts)
	var all []fence
	switch scenario {
	case "real":
		src, err := loadPolygons(polygons)
		if err != nil {
			return err
		}
		all, _ = fences(src, counts[len(counts)-1])
	case "dense":
		all = denseFences(counts[len(counts)-1])
	default:
		return fmt.Errorf("scenario %q: want real or dense", scenario)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return err
	}
	prev, done := "", 0
	for _, n := range counts {
		dir := scenarioDir(root, scenario, n)
		if _, err := os.Stat(dir); err == nil {
			return fmt.Errorf("%s exists; setup makes new directories", dir)
		}
		t0 := time.Now()
		var d *deployment
		var err error
		if prev == "" {
			if d, err = newDeployment(ctx, dir); err != nil {
				return err
			}
		} else {
			if out, err := exec.Command("cp", "-a", prev, dir).CombinedOutput(); err != nil {
				return fmt.Errorf("cp: %v: %s", err, out)
			}
			if d, err = openDeployment(ctx, dir); err != nil {
				return err
			}
		}
		err = d.addZones(all[done:n])
		if cerr := d.close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, inForceFile), []byte(time.Now().UTC().Format(time.RFC3339Nano)), 0o600); err != nil {
			return err
		}
		fmt.Printf("setup: %s: %d no-fly zones in force (%d vertices) in %v\n", dir, n, vertices(all[:n]), time.Since(t0).Round(time.Second))
		prev, done = dir, n
	}
	return nil
}

// inForceFile, in a data directory, holds the time by which setup had
// every zone in force (RFC 3339).
const inForceFile = "zones-in-force"

// inForceWait is how long to wait before sending ps, their times moved so
// that the last is a second before now (truceSend), for the first to be
// after the zones of dir came into force: the monitor judges a report
// against the zones in force at the report's own time, so a run started
// right after setup found no zone for its earliest reports (one dense run
// raised 9,848 alerts on SBS, then 25,544 on NDJSON, from the same
// positions; 43,840 each once the zones were older than the stream). 0
// when the directory does not say when.
func inForceWait(dir string, ps []feed.Position, now time.Time) time.Duration {
	b, err := os.ReadFile(filepath.Join(dir, inForceFile))
	if err != nil || len(ps) == 0 {
		return 0
	}
	at, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0
	}
	first, last := ps[0].Time, ps[0].Time
	for _, p := range ps {
		if p.Time.Before(first) {
			first = p.Time
		}
		if p.Time.After(last) {
			last = p.Time
		}
	}
	start := now.Add(-time.Second).Add(-last.Sub(first))
	// A second more: the server keeps times to the millisecond.
	return max(0, at.Sub(start)+time.Second)
}

// scenarioDir is the data directory of a scenario's zone count.
func scenarioDir(root, scenario string, n int) string {
	p := "z"
	if scenario == "dense" {
		p = "d"
	}
	return filepath.Join(root, p+strconv.Itoa(n))
}

// openDeployment reopens a directory newDeployment made, to add zones.
func openDeployment(ctx context.Context, dir string) (*deployment, error) {
	cfg := node.Config{DataDir: dir, Name: "bench", Logger: quietLogger()}
	svc, err := node.OpenService(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st := svc.Store
	d := &deployment{dir: dir, svc: svc, close: st.Close}
	u, err := svc.Accounts.Store.User(ctx, "us-op")
	if err != nil {
		st.Close()
		return nil, err
	}
	p, err := svc.Accounts.Store.Party(ctx, u.PartyID)
	if err != nil {
		st.Close()
		return nil, err
	}
	d.op = truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
	ags, err := svc.Zones.Store.Agreements(ctx, truce.AgreementFilter{})
	if err != nil || len(ags) != 1 {
		st.Close()
		return nil, fmt.Errorf("%s: want one agreement (%v)", dir, err)
	}
	d.ag = ags[0].ID
	return d, nil
}
