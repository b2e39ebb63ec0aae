// Package operations is joint operations: each party files its planned
// operations as 4D volumes (an area — a polygon, a circle or a corridor
// along a route — × an altitude band × a time window), and the conflicts
// of a new operation are found when it is filed, exactly (polygon overlap,
// not grid cells), against:
//
//   - other parties' operations filed or active (one in-memory
//     spatial.VolumeIndex, loaded from the store and kept with this
//     server's writes), their bands widened by the agreement's vertical
//     separation and their areas by its horizontal separation when both
//     fly;
//   - notified humanitarian sites (with their buffer, a point's or a
//     polygon's) and movements (the
//     route's corridor × its departure-to-arrival window), read from the
//     humanitarian store;
//   - zones in force (the zones package's live index) whose agreement's
//     rules prohibit the operation's activity in that kind of zone.
//
// Conflicts that arise later are found too: a site notified, or a
// movement notified, inside a live operation after it was filed raises a
// conflict to both sides (Service.Handle, which the node calls on those
// events; later.go).
//
// The practice it follows is the 2015 US–Russia air-safety memorandum and
// ASTM F3548 strategic deconfliction (InterUSS DSS): each side files its
// intent, and both sides learn of a conflict — the overlap volume, the
// kind and the other party — not the other's whole plan. An operation is
// visible to its parties and to the parties it is notified to; a conflict
// record to the two sides it concerns (and to every party when a blocking
// conflict is overridden). The journal commits to the whole plan by its
// salted body hash, so its owner can prove it later without disclosing it.
//
// It holds, in one place:
//
//   - the records and their input checks (operation.go);
//   - the pure rules (rules.go): the conflict decision (which conflicts
//     block filing and which only warn), who may approve, and the status
//     transitions;
//   - the service (service.go), which writes through package journal:
//     each operation version and each conflict is a journal entry, each
//     conflict an operation.conflict event (the alert); a joint operation
//     is filed only when every participating party has approved the same
//     version with a statement signed with its key (ApprovalStatement).
//
// Service reads and writes the store through Store and Tx, its own small
// interfaces: internal/sqlstore implements them (Store.Operations) and
// storetest runs them on SQLite and PostgreSQL.
package operations
