package api_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/zones"
	"golang.org/x/mod/sumdb/note"
)

// TestPartyKeys_ConcurrentCreate creates one custodial party from many
// requests at once: one 201 and the rest 409 (the key file each wrote
// made them 500s).
func TestPartyKeys_ConcurrentCreate(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		const n = 10
		statuses := atOnce(n, func(i int) int {
			status, _, _ := e.do("POST", "/api/v1/parties", e.admin, `{"slug":"jo","name":"Jordan","kind":"guarantor"}`)
			return status
		})
		created := 0
		for _, s := range statuses {
			switch s {
			case 201:
				created++
			case 409:
			default:
				t.Fatalf("statuses %v", statuses)
			}
		}
		if created != 1 {
			t.Fatalf("%d created (statuses %v)", created, statuses)
		}
	})
}

// TestPartyKeys_OrphanFile: a key file left by a server killed between
// writing it and committing the party no longer blocks the slug.
func TestPartyKeys_OrphanFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	skey, vkey, err := note.GenerateKey(rand.Reader, "jo")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(e.node.Config.DataDir, "keys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := ledger.WriteKeyFile(filepath.Join(dir, "party-jo.key"), skey); err != nil {
		t.Fatal(err)
	}
	p, err := e.client(e.admin).CreateParty(context.Background(), truce.PartyCreate{Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor})
	if err != nil {
		t.Fatalf("create after an orphaned key file: %v", err)
	}
	if !p.Custodial || p.PublicKey == vkey {
		t.Fatalf("custodial %v, key %s (the orphan's is %s)", p.Custodial, p.PublicKey, vkey)
	}
}

// secondServer opens another server over e's PostgreSQL database with a
// data directory of its own that holds only what a deployment copies to
// each server (the log keys and the key secret) and the given
// configuration.
func secondServer(t *testing.T, e *env, cfg node.Config) *httptest.Server {
	t.Helper()
	srv, err := openSecond(t, e, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func openSecond(t *testing.T, e *env, cfg node.Config) (*httptest.Server, error) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"log.key", "log.key.pub", "key-secret"} {
		b, err := os.ReadFile(filepath.Join(e.node.Config.DataDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg.DataDir, cfg.DB, cfg.Logger = dir, e.node.Config.DB, quiet
	n, err := node.Open(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(n.API)
	t.Cleanup(func() { srv.Close(); n.Close() })
	return srv, nil
}

// TestPartyKeys_TwoServers decides on a zone on the server that did not
// create the deciding parties: their custodial keys are in the database.
func TestPartyKeys_TwoServers(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, node.Config{DB: pgtest.DSN(t)})
	b := secondServer(t, e, node.Config{})
	status, _, body := doAt(t, b.URL, "/api/v1/zones/"+e.zone.ID+"/versions/1/decision", e.tokens["us-op"], `{"approve":true}`)
	if status != 200 {
		t.Fatalf("decision on the other server: %d %s", status, body)
	}
	hist, err := e.client(e.admin).ZoneHistory(context.Background(), e.zone.ID)
	if err != nil || len(hist[0].Decisions) != 1 {
		t.Fatal(hist, err)
	}
	if err := zones.VerifyDecision(hist[0], hist[0].Decisions[0], e.parties["us"].PublicKey); err != nil {
		t.Fatalf("the other server's signature: %v", err)
	}
	// A party created on the second server signs on the first.
	c := api.NewClient(b.URL, e.admin)
	if _, err := c.CreateParty(context.Background(), truce.PartyCreate{Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.node.Accounts.Keys.PartySigner(context.Background(), e.node.Store.Accounts(), mustParty(t, e, "jo")); err != nil {
		t.Fatalf("the first server signs for a party the second created: %v", err)
	}
	// A server with another secret refuses to start, rather than fail
	// at its first decision.
	if _, err := openSecond(t, e, node.Config{KeySecret: "not the deployment's secret at all"}); !errors.Is(err, accounts.ErrKeySecret) {
		t.Fatalf("a server with another key secret: %v", err)
	}
}

func mustParty(t *testing.T, e *env, slug string) *truce.Party {
	t.Helper()
	p, err := e.node.Store.Accounts().Party(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPartyKeys_ImportFiles restarts a deployment whose custodial party
// has its key in a file, as earlier versions kept it: the server moves the
// key into the database and removes the file, and the party signs.
func TestPartyKeys_ImportFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := node.Config{DataDir: t.TempDir(), Logger: quiet}
	if _, err := node.Init(ctx, cfg, node.InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"}); err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// An earlier version's party: its key in keys/party-jo.key, none in
	// the database; and an orphaned file without a party.
	skey, vkey, _ := note.GenerateKey(rand.Reader, "jo")
	orphan, _, _ := note.GenerateKey(rand.Reader, "gone")
	p := &truce.Party{ID: truce.NewID(), Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor, PublicKey: vkey, Custodial: true, CreatedAt: journal.Now(), Version: 1}
	sealed, err := truce.Change{Kind: "party", Subject: p.ID, Body: p, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: true}.Seal("system", "system", journal.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Store.Accounts().Update(ctx, func(tx accounts.Tx) error {
		if p.JournalIndex, err = tx.Append(ctx, sealed); err != nil {
			return err
		}
		return tx.InsertParty(ctx, p)
	}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cfg.DataDir, "keys")
	for f, k := range map[string]string{"party-jo.key": skey, "party-gone.key": orphan} {
		if err := ledger.WriteKeyFile(filepath.Join(dir, f), k); err != nil {
			t.Fatal(err)
		}
	}
	n.Close()

	n, err = node.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer n.Close()
	if _, err := os.Stat(filepath.Join(dir, "party-jo.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the imported key file is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "party-gone.key")); err != nil {
		t.Fatalf("the orphaned file was removed: %v", err)
	}
	signer, err := n.Accounts.Keys.PartySigner(ctx, n.Store.Accounts(), p)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := note.NewVerifier(vkey); signer.KeyHash() != v.KeyHash() {
		t.Fatal("the database holds another key than the file's")
	}
}

// TestPartyKeys_FailedTransaction: when the party's transaction fails,
// no key is left anywhere and the slug can be created again.
func TestPartyKeys_FailedTransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	admin, err := e.node.Accounts.AuthenticateToken(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	svc := *e.node.Accounts
	svc.Store = failingStore{e.node.Store.Accounts(), boom}
	before := e.journalSize()
	if _, err := svc.CreateParty(truce.NewContext(ctx, admin), truce.PartyCreate{Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor}); err == nil {
		t.Fatal("a create in a failing transaction succeeded")
	}
	if _, err := e.node.Store.Accounts().Party(ctx, "jo"); truce.ErrorCode(err) != truce.ENOTFOUND || e.journalSize() != before {
		t.Fatalf("the failed create left a party: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(e.node.Config.DataDir, "keys", "*"))
	if len(files) != 0 {
		t.Fatalf("key files: %v", files)
	}
	p, err := e.client(e.admin).CreateParty(ctx, truce.PartyCreate{Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor})
	if err != nil {
		t.Fatalf("the slug after a failed create: %v", err)
	}
	if _, err := e.node.Accounts.Keys.PartySigner(ctx, e.node.Store.Accounts(), p); err != nil {
		t.Fatal(err)
	}
}

// failingStore runs every transaction's work for real and then fails it,
// as a full disk at commit would: the store rolls back what was written.
type failingStore struct {
	accounts.Store
	err error
}

func (s failingStore) Update(ctx context.Context, fn func(accounts.Tx) error) error {
	return s.Store.Update(ctx, func(tx accounts.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.err
	})
}
