// Package airspace is Truce's air picture: it hosts the monitor engine
// (package monitor) over the server's state and turns what the engine
// detects into journalled alerts.
//
// It holds, in one place, everything the live air picture needs beyond the
// engine itself:
//
//   - the host (Host): the engine built over the zone index, the
//     aircraft registry (Attribution) and the separation minima that the
//     agreements in force set between their signatories; it follows the
//     committed changes that move the picture (zones, agreements, aircraft,
//     feeds) and reloads the minima as effective periods begin and end;
//   - the feeds: pushed SBS-1 streams on a listener, and the outbound SBS
//     sources, run by the one server that holds the feeds lease among those
//     sharing a database;
//   - position batches posted to the API (Positions), decoded and checked
//     whole before any reaches the engine, and answered with what the
//     engine did with each;
//   - the alert queue and its journal writer: bounded, never dropping an
//     alert, retrying while the journal cannot take one, and saying so on
//     /readyz;
//   - the health of the track table: capacity episodes, each journalled
//     once when it opens and once when it closes;
//   - the alerts' wording: summaries, and the evidence (Evidence) that the
//     web UI draws.
//
// The records are kept here too (Service): the alerts and their
// lifecycle (raise, acknowledge, close), each party's aircraft registry
// and the configured feeds, journalled through the server's journal,
// over the capability's own store interface (Store and Tx, store.go),
// which internal/sqlstore implements for both databases and storetest
// checks on both.
//
// The engines under it (monitor, feed, spatial) know nothing of Truce.
// Package node only builds a Service and a Host from its configuration,
// starts and stops them, and mounts their routes.
package airspace
