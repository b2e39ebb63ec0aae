// Package zones is what the parties agree on: agreements, their zones
// and the zones' versions, the joint decisions that bring each into force,
// and the live index of the zones in force.
//
// It holds, in one place:
//
//   - agreements (agreements.go): drafts edited by their makers; bringing
//     into force, amendment, suspension and termination as proposals
//     every signatory signs; a signatory's unilateral notice of
//     withdrawal, effective after the notice period the agreement sets.
//     The rules are pure functions in package truce (agreementrules.go),
//     so the UI asks the same ones;
//   - zones (zones.go, zonegeom.go): proposals, changes, suspensions and
//     withdrawals, each a version all the signatories decide on
//     (truce.Decide), signed as C2SP notes: a custodial party's key signs
//     on the server, a party holding its own key sends its note;
//   - the in-force index (zoneindex.go, zonereconcile.go): the zone
//     versions in force now and later, of agreements in force, for the
//     monitor, and the changes it follows (Index.Follows); the zones in
//     force at a place and time, judged by the agreement's period then
//     (inforce.go), for observation's violations;
//   - the state checks of zones and agreements (vouch.go): a zone is its
//     entries replayed, an agreement its latest body.
//
// Service writes through package journal, like every capability, and
// reads and writes the store through Store and Tx, its own small
// interfaces: internal/sqlstore implements them (Store.ZoneStore) and
// storetest runs them on SQLite and PostgreSQL. The delivery layers use
// the truce.AgreementService and ZoneService interfaces that Service
// implements; the airspace engine uses Index and JournalledAgreement, the
// self-check StateCheck.
package zones
