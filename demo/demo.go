// Package demo builds Truce's demonstration scenario: the south-west Syria
// de-escalation arrangement of July 2017 (United States, Russian Federation
// and Jordan as guarantors, a monitoring centre in Amman, a UN coordination
// office, two humanitarian organisations), with de-escalation zones from
// OCHA's governorate boundaries (Dar'a repaired on import), the UNDOF area
// of separation from Natural Earth and no-fly zones around OurAirports
// airfields (see data/README.md for sources and licences).
package demo

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/partykey"
)

//go:embed data/*.geojson
var data embed.FS

// Party is one party of the scenario.
type Party struct {
	Slug, Name string
	Kind       truce.PartyKind
	User       string
	Roles      []truce.Role
}

// Parties are the scenario's parties besides the administrators' own.
// The Russian Federation holds its own key (see SelfHeld).
var Parties = []Party{
	{"us", "United States of America", truce.PartyGuarantor, "us-operator", []truce.Role{truce.RoleOperator, truce.RolePartyAdmin}},
	{"ru", "Russian Federation", truce.PartyGuarantor, "ru-operator", []truce.Role{truce.RoleOperator, truce.RolePartyAdmin}},
	{"jo", "Hashemite Kingdom of Jordan", truce.PartyGuarantor, "jo-operator", []truce.Role{truce.RoleOperator, truce.RolePartyAdmin}},
	{"amman-mc", "Amman Monitoring Centre", truce.PartyMonitor, "amman-monitor", []truce.Role{truce.RoleObserver, truce.RoleAnalyst}},
	{"sarc", "Syrian Arab Red Crescent", truce.PartyHumanitarian, "sarc-access", []truce.Role{truce.RoleHumanitarian}},
	{"icrc", "International Committee of the Red Cross", truce.PartyHumanitarian, "icrc-access", []truce.Role{truce.RoleHumanitarian}},
}

// SelfHeld are the parties that hold their own keys: the scenario
// generates each key into DATA/held-by-SLUG/SLUG.key, as the party's
// operator would with truce key generate, registers only the verifier
// key, and signs the party's scripted decisions with partykey, as the
// operator's CLI does. The server has no key to sign for them.
var SelfHeld = []string{"ru"}

// Credential is one demo login.
type Credential struct {
	Party, Username, Password, Token string
}

// Scenario is what Setup created.
type Scenario struct {
	Credentials []Credential
	Agreement   *truce.Agreement
	// InForce are the zones approved by every guarantor; Pending awaits
	// Russia's and Jordan's decisions (it shows in their inboxes).
	InForce []*truce.ZoneVersion
	Pending []*truce.ZoneVersion
	// KeyFiles are the key files of the parties in SelfHeld, by slug.
	KeyFiles map[string]string
	// Operations are the demo's planned operations (operations.go).
	Operations *Operations
}

// KeyFile is where the scenario keeps a self-held party's key.
func KeyFile(dataDir, slug string) string {
	return filepath.Join(dataDir, "held-by-"+slug, slug+".key")
}

// Setup initialises a new data directory with the scenario. It refuses a
// directory that already holds a deployment.
func Setup(ctx context.Context, cfg node.Config) (*Scenario, error) {
	adminPass := password()
	res, err := node.Init(ctx, cfg, node.InitOptions{PartySlug: "un-coordination", PartyName: "UN Coordination Office",
		PartyKind: truce.PartyCoordinator, Username: "admin", Password: adminPass})
	if err != nil {
		return nil, err
	}
	if res.Token == nil {
		return nil, fmt.Errorf("%s already holds a deployment; run the demo on a new folder", cfg.DataDir)
	}
	// Set-up needs the services, not a running server: the node that
	// serves the scenario is opened afterwards and builds its indexes
	// from what is written here.
	svc, ctl, err := node.OpenControl(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer svc.Store.Close()
	actx := truce.NewContext(ctx, &truce.Caller{User: res.User, Party: res.Party})
	sc := &Scenario{Credentials: []Credential{{res.Party.Slug, res.User.Username, adminPass, res.Token.Secret}}, KeyFiles: map[string]string{}}
	keys := map[string]*partykey.Key{}
	for _, slug := range SelfHeld {
		path := KeyFile(cfg.DataDir, slug)
		skey, vkey, err := partykey.Generate(slug)
		if err != nil {
			return nil, err
		}
		if err := partykey.Write(path, skey, vkey); err != nil {
			return nil, fmt.Errorf("demo key of %s: %w", slug, err)
		}
		if keys[slug], err = partykey.Load(path); err != nil {
			return nil, err
		}
		sc.KeyFiles[slug] = path
	}
	actors := map[string]context.Context{}
	// The parties are set up concurrently: each user's argon2id hash takes
	// tens of milliseconds, and concurrent writes share commits.
	creds := make([]Credential, len(Parties))
	actorOf := make([]*truce.Caller, len(Parties))
	errs := make([]error, len(Parties))
	var wg sync.WaitGroup
	for i, dp := range Parties {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := truce.PartyCreate{Slug: dp.Slug, Name: dp.Name, Kind: dp.Kind}
			if k := keys[dp.Slug]; k != nil {
				c.PublicKey = k.Verifier
			}
			p, err := svc.Accounts.CreateParty(actx, c)
			if err != nil {
				errs[i] = fmt.Errorf("demo party %s: %w", dp.Slug, err)
				return
			}
			pass := password()
			u, err := svc.Accounts.CreateUser(actx, truce.UserCreate{Party: p.ID, Username: dp.User, Name: dp.Name + " duty officer", Roles: dp.Roles, Password: pass})
			if err != nil {
				errs[i] = fmt.Errorf("demo user %s: %w", dp.User, err)
				return
			}
			t, err := svc.Accounts.CreateToken(actx, truce.TokenCreate{User: u.ID, Name: "demo"})
			if err != nil {
				errs[i] = err
				return
			}
			creds[i], actorOf[i] = Credential{p.Slug, u.Username, pass, t.Secret}, &truce.Caller{User: u, Party: p}
		}()
	}
	wg.Wait()
	for i, dp := range Parties {
		if errs[i] != nil {
			return nil, errs[i]
		}
		sc.Credentials = append(sc.Credentials, creds[i])
		actors[dp.Slug] = truce.NewContext(ctx, actorOf[i])
	}
	sc.Agreement, err = svc.Zones.CreateAgreement(actx, truce.AgreementCreate{
		Title:         "Memorandum of principles on the south-west Syria de-escalation zone",
		Reference:     "Ceasefire announced at Hamburg and Amman on 7 July 2017, in force 9 July 2017 12:00 Damascus time; monitoring centre in Amman.",
		Signatories:   []string{"us", "ru", "jo"},
		EffectiveFrom: time.Date(2017, 7, 9, 9, 0, 0, 0, time.UTC),
		Rules: truce.AgreementRules{Prohibited: []truce.Prohibition{
			{Activity: "air_strike", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation, truce.ZoneNoFly, truce.ZoneBuffer}},
			{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation, truce.ZoneBuffer, truce.ZoneCorridor}},
			{Activity: "military_flight", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly, truce.ZoneBuffer}},
		}},
	})
	if err != nil {
		return nil, err
	}
	// The memorandum is in force once each signatory has signed its text:
	// the secretariat proposes, the United States, Russia and Jordan
	// approve in turn.
	if _, err = svc.Zones.ProposeAgreement(actx, sc.Agreement.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce,
		Note: "Text as announced at Hamburg and Amman on 7 July 2017."}, 0); err != nil {
		return nil, err
	}
	for _, slug := range []string{"us", "ru", "jo"} {
		if k := keys[slug]; k != nil {
			// A party holding its own key signs the text here, as its
			// CLI would.
			sc.Agreement, err = partykey.DecideAgreement(actors[slug], svc.Zones, k, sc.Agreement.ID, 1, true, "")
		} else {
			sc.Agreement, err = svc.Zones.DecideAgreement(actors[slug], sc.Agreement.ID, 1, truce.ZoneDecision{Approve: true})
		}
		if err != nil {
			return nil, fmt.Errorf("%s signs the memorandum: %w", slug, err)
		}
	}
	us := actors["us"]
	propose := func(p truce.ZoneProposal) (*truce.ZoneVersion, error) {
		p.Agreement = sc.Agreement.ID
		_, v, err := svc.Zones.ProposeZone(us, p)
		return v, err
	}
	var inForce []*truce.ZoneVersion
	// De-escalation zones are OCHA's governorates, imported as a user
	// would. Dar'a's boundary is invalid as published (a zero-width spike
	// that GEOS and Truce report as a self-intersection): the import asks
	// for repair, and the version records it and the area change.
	gov, err := data.ReadFile("data/southwest-governorates-ocha.geojson")
	if err != nil {
		return nil, err
	}
	vs, err := svc.Zones.ImportZones(us, truce.ZoneImport{Agreement: sc.Agreement.ID, Features: gov,
		Defaults: truce.ZoneProposal{Kind: truce.ZoneDeescalation, Repair: true}})
	if err != nil {
		return nil, fmt.Errorf("demo de-escalation zones: %w", err)
	}
	inForce = append(inForce, vs...)
	undof, err := features("data/undof-naturalearth.geojson")
	if err != nil {
		return nil, err
	}
	for _, f := range undof {
		v, err := propose(truce.ZoneProposal{Name: "Area of separation (UNDOF)", Kind: truce.ZoneBuffer, Geometry: f.Geometry})
		if err != nil {
			return nil, fmt.Errorf("demo buffer zone: %w", err)
		}
		inForce = append(inForce, v)
	}
	// No-fly zones: 10 km around every Syrian airfield OurAirports lists
	// (large and medium) in or within 50 km of the three governorates,
	// from the surface to FL150.
	air, err := features("data/airfields-ourairports.geojson")
	if err != nil {
		return nil, err
	}
	for _, f := range air {
		v, err := propose(truce.ZoneProposal{Name: "No-fly zone — " + f.Properties["name"].(string), Kind: truce.ZoneNoFly,
			Geometry: f.Geometry, RadiusM: 10000, Floor: "SFC", Ceiling: "FL150"})
		if err != nil {
			return nil, fmt.Errorf("demo no-fly zone: %w", err)
		}
		inForce = append(inForce, v)
	}
	// The Dar'a–Nasib corridor to the Jordanian border stays pending: it
	// waits in Jordan's inbox.
	corridor, err := propose(truce.ZoneProposal{Name: "Humanitarian corridor Dar'a – Nasib crossing", Kind: truce.ZoneCorridor,
		Geometry: json.RawMessage(`{"type":"LineString","coordinates":[[36.106,32.625],[36.2,32.585],[36.289,32.553]]}`), HalfWidthM: 750})
	if err != nil {
		return nil, fmt.Errorf("demo corridor: %w", err)
	}
	approve := func(p string, v *truce.ZoneVersion) (*truce.ZoneVersion, error) {
		if k := keys[p]; k != nil {
			return partykey.DecideZone(actors[p], partykey.Local{ZoneService: svc.Zones}, k, v.ZoneID, v.Version, true, "")
		}
		return svc.Zones.DecideZone(actors[p], v.ZoneID, v.Version, truce.ZoneDecision{Approve: true})
	}
	for _, v := range inForce {
		for _, p := range []string{"us", "ru", "jo"} {
			if v, err = approve(p, v); err != nil {
				return nil, fmt.Errorf("demo approval by %s: %w", p, err)
			}
		}
		sc.InForce = append(sc.InForce, v)
	}
	if corridor, err = approve("us", corridor); err != nil {
		return nil, err
	}
	sc.Pending = []*truce.ZoneVersion{corridor}
	if err := notifySites(ctx, svc, sc.Agreement.ID, actors, keys); err != nil {
		return nil, err
	}
	if err := setupControl(ctx, svc, ctl, sc, actors, keys); err != nil {
		return nil, err
	}
	if sc.Operations, err = setupOperations(ctx, svc, sc, actors, keys); err != nil {
		return nil, err
	}
	return sc, nil
}

type feature struct {
	Properties map[string]any  `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

func features(name string) ([]feature, error) {
	b, err := data.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var fc struct {
		Features []feature `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return fc.Features, nil
}

func password() string {
	b := make([]byte, 9)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
