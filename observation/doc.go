// Package observation is ceasefire observation: monitors' reports of what
// they saw and heard, the incidents those reports are grouped into, and
// the verification of incidents.
//
// It holds, in one place:
//
//   - observations (observation.go): the report's vocabulary, which follows
//     the OSCE Special Monitoring Mission's (mode saw / heard, the observer's
//     position, bearing and distance, counts, weapon) mapped onto ACLED's
//     event types and sub-types, with counts as UCDP's best/low/high, and
//     its validation as a pure function;
//   - location (locate.go): a point with an accuracy radius, or a bearing
//     with its error and a distance range from the observer, turned into a
//     point and an uncertainty area on the WGS84 ellipsoid (package geo,
//     Karney's geodesics);
//   - grouping (group.go): the in-memory index that attaches a new
//     observation to the incident it belongs to (same category, uncertainty
//     areas that overlap, time windows within a tolerance), rebuilt from the
//     store at start-up, and a brute-force reference it is tested against;
//   - the cross-fix (crossfix.go): two or more bearings from different
//     observers turned, by weighted least squares, into a better location
//     with its error ellipse;
//   - verification (verify.go): reported → corroborated → verified →
//     disputed / rejected as a pure function, each decision signed with the
//     deciding party's key; and the check of a verified incident against
//     the agreements' prohibitions in force where and when it happened;
//   - the service (service.go): filing (only a monitoring mission's
//     observers and operators), grouping with concurrent writes, reads
//     that hide another party's observers, signed decisions, violation
//     alerts; and the daily report (report.go) as JSON, CSV and
//     ACLED-compatible CSV with an HXL hashtag row.
//
// Service writes through package journal, like every capability, and
// reads and writes the store through Store and Tx, its own small
// interfaces: internal/sqlstore implements them (Store.Observation) and
// storetest runs them on SQLite and PostgreSQL. An observer's identity is
// in the journal entry of the observation, which only the observer's party
// may read; the other parties read the observation as filed by "an observer
// of party X".
package observation
