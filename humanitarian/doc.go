// Package humanitarian is humanitarian notification for deconfliction, as
// UN OCHA's Humanitarian Notification System (HNS4D) practises it:
// organisations notify their static sites, the notification is
// transmitted to every party the agreement names, and each party answers
// with a signed acknowledgement or a signed concern.
//
// It holds, in one place:
//
//   - sites (site.go): a point or polygon with a buffer radius, a
//     category, the operating organisation, contact, capacity and validity
//     period, and the OCHA P-codes of the admin areas it lies in (areas.go,
//     from the embedded COD-AB boundaries). A move, an update or a closure
//     is a new version, notified again;
//   - transmissions (transmit.go): one per party the agreement names,
//     written in the transaction that records the notification, so none
//     is ever lost; each has an acknowledgement deadline, and the
//     notification is flagged late (never refused) when it gives less
//     notice than the agreement's lead time;
//   - answers: an acknowledgement or a concern is an Ed25519 C2SP signed
//     note over a statement that names the notified version's hash
//     (Statement), signed on the server for a custodial party or by the
//     party's own key. An acknowledgement records receipt, never
//     permission: neither answer blocks anything;
//   - bulk import (import.go) from CSV, with or without an HXL hashtag row,
//     and GeoJSON: every bad row is reported by line and column, and
//     nothing is imported when any row is bad;
//   - movements (movement.go, their pure rules: what a notification must
//     say, route checks — zero length, spikes, bounds —, windows, the
//     lifecycle draft → notified → under way → arrived, aborted or
//     postponed, and the lead time, the emergency one for an emergency
//     movement; movements.go, the service): every step a journalled
//     version; a notification (from a draft, or again after a
//     postponement) is transmitted like a site's, and the steps after it
//     do not supersede it. A transmission names the record it notifies by
//     kind ("site" or "movement"), id and version.
//   - convoy tracking (convoy.go, convoywatch.go: the pure watch of a
//     convoy against its corridor and its schedule; tracking.go, the
//     service): positions off the corridor, in a zone of concern,
//     stopped, silent or behind raise alerts, each once per episode; the
//     tracking state after each position is stored (not journalled), so
//     that a restarted server or another one goes on from it; device.go:
//     a tracker's device token (OsmAnd's online tracking sends no
//     header), one movement's, bounded, revocable, journalled.
//
// Service writes through package journal, like every capability, and
// reads and writes the store through Store and Tx, its own small
// interfaces: internal/sqlstore implements them (Store.Humanitarian) and
// storetest runs them on SQLite and PostgreSQL.
package humanitarian
