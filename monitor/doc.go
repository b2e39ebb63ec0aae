// Package monitor is Truce's live air-picture engine: it keeps one track per
// aircraft from a position feed and raises alerts when a track enters or
// leaves a watched zone, is predicted to enter one, comes within the agreed
// separation of an aircraft of another party, or squawks an emergency code.
//
// The rules it implements:
//
//   - Zone containment is spatial.ZoneIndex's: polygons in the lon/lat plane
//     (RFC 7946 §3.1.1) with holes, an inclusive altitude band in metres AMSL
//     and half-open UTC active windows. Its geofence events follow Tile38's
//     enter/exit detection from a track's previous and new state.
//   - Separation minima default to those of ICAO Doc 4444 radar separation
//     in terminal airspace (5 NM horizontally) and of reduced vertical
//     separation (1,000 ft); a pair of parties may have its own minima, as the
//     2015 US–Russia memorandum on air safety over Syria left to the parties.
//   - Emergency squawks are ICAO Doc 8168's 7500, 7600 and 7700.
//
// # Tracks
//
// A track merges partial reports: an SBS MSG,3 carries a position and
// altitude, MSG,4 the velocity, MSG,1 the callsign, MSG,6 the squawk; a field
// absent from a report keeps the track's previous value. A report older than
// the track's last position is used only for callsign and squawk (outcome
// OutOfOrder). A track silent for Config.StaleAfter — measured on the
// engine's clock from the processing of its last report, not from that
// report's time — is dropped (by Expire, which Run calls every second, or
// when its next report comes after such a gap); its open episodes are
// closed then. Each track keeps a bounded history of positions at least
// Config.HistorySpacing apart, which alerts carry as evidence.
//
// # Late reports
//
// Real feeds run late: aggregators, MLAT and satellite ADS-B by 5–30 s.
// Every detection is judged on a report's own time, so a report that comes
// late is used like a current one, as long as it is no more than
// Config.MaxDelay (default 120 s) older than the engine's clock (outcome
// TooOld beyond) and no more than Config.MaxAhead (default 10 s) later than
// the wall clock (outcome Future beyond: one report from the future would
// make all the true ones of its aircraft look out of order). Every report
// not used is counted by its outcome (Counters, and a Receipt for Submit).
//
// # Capacity
//
// The track table holds Config.MaxTracks tracks. When it is full, a new
// aircraft is given a place by priority, so that no one can blind the
// monitor by inventing addresses: tracks in, entering, predicted into or
// within Config.NearM of a watched zone (by bounding box), squawking an
// emergency or in a proximity episode come first; then aircraft
// attributed to a party; then the rest, unknown aircraft far from the
// zones. A newcomer takes the place of the longest-silent track of the
// lowest class below its own (evicted without alert: such a track has no
// open zone episode), or, below the first class, of one of its own class
// silent for a quarter of StaleAfter; tracks silent for StaleAfter are
// swept first. A newcomer in or near a watched zone (or squawking an
// emergency) for which there is no such place is still taken, beyond
// MaxTracks, up to MaxTracks/4 more: a bounded overflow is better than an
// aircraft in a zone unseen. Only beyond that, or for a newcomer of a
// lower class, is the report refused (outcome TableFull). The table is
// swept, and the tracks that may give way listed by class and silence, at
// most once a second while it is full; a newcomer takes the first listed
// track that still qualifies. So a flood of new addresses costs about as
// much per report as a tracked aircraft's (BenchmarkEngine_TableFull),
// and an aircraft already tracked costs nothing more.
//
// # Hysteresis
//
// A track enters a zone only when Config.Confirm consecutive positions of
// the track (default 2) are inside it, and leaves it only when that many
// consecutive positions are outside; a position between them in the other
// state starts the count again. So a track flying along a boundary, whose
// positions fall alternately inside and outside, raises nothing until it
// settles on one side, and every entry alert has exactly one exit alert with
// the same episode id. The alert's Trigger holds those Confirm positions.
// The exit Reason says why the episode ended: "left" (the aircraft flew out
// of the area or the band), "zone_inactive" (the zone no longer applies
// under the aircraft: its window closed or it is no longer watched, found
// by checking the zone at the episode's start time; or, through
// ZonesChanged, it was withdrawn or reshaped), or "track_lost" (the track
// went stale inside the zone).
//
// A zone change (ZonesChanged) is applied at once, without waiting for
// Confirm positions, because the change comes from the zones, not from a
// noisy position: an aircraft already inside a zone that comes into force
// gets an entry alert with Reason "zone_change", and an aircraft inside a
// zone that leaves force gets an exit alert with Reason "zone_inactive".
//
// A proximity episode starts when two attributed aircraft of different
// parties are closer than the separation both horizontally and vertically,
// and ends only when they are farther than the separation enlarged by
// Config.ProximityMargin (default 10%) in either dimension, or one track is
// lost; an emergency episode lasts while the track squawks the same
// emergency code.
//
// # Prediction
//
// A predicted entry projects the track's velocity (ground speed, track,
// vertical rate) in a straight line over Config.LookAhead and tests points
// on that path at every multiple of Config.PredictStep of absolute time
// against the zones active at that time. Once a PredictStep of feed time,
// when the next such point falls due, the path is checked: it is kept while
// the aircraft follows it (within 500 m, 5°, 10% of speed and 500 ft/min)
// and only the newly reached point is tested, else it is redrawn from the
// current report and tested whole. So a straight flight costs a fifth of a
// zone check per report at one report a second. No prediction is
// made for a zone the track is inside or entering. A prediction episode ends
// when the track enters the zone or when the zone has not been predicted for
// Config.PredictHold, so an aircraft skirting a zone is warned once. A zone
// narrower than the spacing of the samples (ground speed × PredictStep,
// about 1.2 km at 500 kt) can be missed by prediction; its entry is still
// detected.
//
// # Proximity
//
// Attributed tracks (Config.Attribute returned a party) are registered in
// a grid, in every cell that their separation circle (enlarged by 1 km of
// slack, so the registration is redone only after 1 km of flight) touches;
// a report is then compared only with the aircraft registered in its own
// cell, never with every track. Unattributed aircraft (civil
// traffic) take no part in proximity. An unknown altitude counts as within
// the vertical minimum, because a deconfliction line would rather warn
// needlessly than miss.
//
// # Delivery
//
// Alerts are never dropped: Config.Emit is called synchronously, in order,
// from the goroutine that processes the position (Run's worker or the caller
// of Process), after the engine's track lock is released, so Emit may read
// Track and Tracks. Emit must return quickly (append to a journal queue, not
// wait for a disk or a webhook), because positions wait behind it and Ingest
// drops positions when the queue is full; and it must not call Process or
// ZonesChanged. An alert's slices are its own copies, which the receiver
// may keep. What the engine sheds under overload is positions, counted in
// Counters.Dropped; memory is bounded by Config.QueueSize, Config.MaxTracks
// (and its overflow) and Config.HistoryLen. Submit queues a batch and
// returns a Receipt that counts, once Run's worker has processed them,
// what became of each position (its Outcome), for a sender that must be
// told the truth.
package monitor
