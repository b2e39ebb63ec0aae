package main_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/internal/testwait"
)

// TestKill9_Notifications kills the server with SIGKILL while sites are
// being notified, one by one and by bulk import, restarts it, and finds
// every acknowledged notification, and every site stored at all, with its
// transmission to each signatory: a transmission is written in the
// transaction that records the notification, so none is ever lost.
func TestKill9_Notifications(t *testing.T) {
	dir := t.TempDir()
	tok := initData(t, dir)
	addr := freeAddr(t)
	srv := startServer(t, dir, addr)
	ctx := context.Background()
	admin := api.NewClient(srv.url, tok)
	for _, p := range []truce.PartyCreate{{Slug: "us", Name: "us", Kind: truce.PartyGuarantor}, {Slug: "ru", Name: "ru", Kind: truce.PartyGuarantor},
		{Slug: "sarc", Name: "sarc", Kind: truce.PartyHumanitarian}} {
		if _, err := admin.CreateParty(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.CreateUser(ctx, truce.UserCreate{Party: "sarc", Username: "sarc-user", Roles: []truce.Role{truce.RoleHumanitarian}}); err != nil {
		t.Fatal(err)
	}
	st, err := admin.CreateToken(ctx, truce.TokenCreate{User: "sarc-user", Name: "kill"})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := admin.CreateAgreement(ctx, truce.AgreementCreate{Title: "Memorandum", Signatories: []string{"us", "ru"}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// The agreement comes into force when both signatories have signed.
	prop, err := admin.ProposeAgreement(ctx, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"us", "ru"} {
		if _, err := admin.CreateUser(ctx, truce.UserCreate{Party: p, Username: p + "-op", Roles: []truce.Role{truce.RoleOperator}}); err != nil {
			t.Fatal(err)
		}
		tk, err := admin.CreateToken(ctx, truce.TokenCreate{User: p + "-op", Name: "sign"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.NewClient(srv.url, tk.Secret).DecideAgreement(ctx, ag.ID, prop.Proposals, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatalf("%s signs: %v", p, err)
		}
	}
	sarc := api.NewClient(srv.url, st.Secret)
	var mu sync.Mutex
	var acked []string
	var n atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s, err := sarc.NotifySite(ctx, humanitarian.SiteCreate{AgreementID: ag.ID, SiteFields: humanitarian.SiteFields{
					Name: fmt.Sprintf("Site %d-%d", w, i), Category: humanitarian.School, Organisation: "SARC",
					Geometry: []byte(fmt.Sprintf(`{"type":"Point","coordinates":[36.1,%.4f]}`, 32.6+float64(i)*0.001)), ValidFrom: time.Now()}})
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked = append(acked, s.ID)
				mu.Unlock()
				n.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var csv strings.Builder
		csv.WriteString("name,category,organisation,lat,lon,valid_from\n")
		for i := range 300 {
			fmt.Fprintf(&csv, "Imported %d,warehouse,SARC,%.4f,36.2,2030-01-01\n", i, 32.6+float64(i)*0.001)
		}
		for {
			select {
			case <-stop:
				return
			default:
			}
			ss, err := sarc.ImportSites(ctx, api.SiteImport{AgreementID: ag.ID, Format: "csv", Data: csv.String()})
			if err != nil {
				return
			}
			mu.Lock()
			for _, s := range ss {
				acked = append(acked, s.ID)
			}
			mu.Unlock()
		}
	}()
	if !testwait.Until(30*time.Second, func() bool { return n.Load() >= 40 }) {
		t.Fatalf("only %d notifications in 30 s", n.Load())
	}
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	close(stop)
	wg.Wait()

	srv2 := startServer(t, dir, addr)
	c := api.NewClient(srv2.url, st.Secret)
	stored := map[string]bool{}
	for cursor := ""; ; {
		ss, next, err := c.ListSites(ctx, humanitarian.SiteFilter{Cursor: cursor, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			stored[s.ID] = true
		}
		if cursor = next; next == "" {
			break
		}
	}
	for _, id := range acked {
		if !stored[id] {
			t.Fatalf("acknowledged notification of site %s lost", id)
		}
	}
	for id := range stored {
		b, err := c.SiteBoard(ctx, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Rows) != 2 {
			t.Fatalf("site %s was stored with %d transmissions, want 2", id, len(b.Rows))
		}
	}
	t.Logf("%d notifications acknowledged, %d sites stored, each with its 2 transmissions", len(acked), len(stored))
	gapFreeJournal(t, ctx, c)
}
