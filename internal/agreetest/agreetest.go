// Package agreetest brings agreements into force in tests the only way
// there is: every signatory party signs. It makes an operator of each
// signatory (as an administrator) and has each approve.
package agreetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/truce-project/truce"
)

// Accounts is what agreetest needs of the accounts service.
type Accounts interface {
	truce.PartyService
	truce.UserService
}

// Operators returns, for each party (id or slug), the context of a new
// operator of that party, made by admin.
func Operators(tb testing.TB, acc Accounts, admin context.Context, parties ...string) []context.Context {
	tb.Helper()
	var out []context.Context
	for _, ref := range parties {
		p, err := acc.FindParty(admin, ref)
		if err != nil {
			tb.Fatal(err)
		}
		b := make([]byte, 4)
		rand.Read(b)
		u, err := acc.CreateUser(admin, truce.UserCreate{Party: p.ID, Username: "signer-" + hex.EncodeToString(b), Roles: []truce.Role{truce.RoleOperator}})
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, truce.NewContext(context.Background(), &truce.Caller{User: u, Party: p}))
	}
	return out
}

// Agree has admin propose action on agreement id and an operator of each
// signatory approve it; it returns the agreement the last approval left.
func Agree(tb testing.TB, svc truce.AgreementService, acc Accounts, admin context.Context, id string, action truce.AgreementAction) *truce.Agreement {
	tb.Helper()
	ag, err := svc.ProposeAgreement(admin, id, truce.AgreementMotion{Action: action}, 0)
	if err != nil {
		tb.Fatal(err)
	}
	for _, ctx := range Operators(tb, acc, admin, ag.Signatories...) {
		if ag, err = svc.DecideAgreement(ctx, id, ag.Proposals, truce.ZoneDecision{Approve: true}); err != nil {
			tb.Fatal(err)
		}
	}
	return ag
}

// InForce brings agreement id into force (Agree).
func InForce(tb testing.TB, svc truce.AgreementService, acc Accounts, admin context.Context, id string) *truce.Agreement {
	tb.Helper()
	return Agree(tb, svc, acc, admin, id, truce.AgreementBringIntoForce)
}
