// Package feed decodes aircraft positions for Truce's live air picture and
// delivers them from sockets and recorded files.
//
// Formats implemented:
//
//   - SBS-1 / BaseStation "port 30003" text (Kinetic Avionics' BaseStation
//     socket output, as emitted by dump1090 and readsb): 22 comma-separated
//     fields, MSG transmission types 1–8; see DecodeSBS for the field layout.
//   - NDJSON (newline-delimited JSON, one object per line) as accepted by
//     POST /api/v1/positions; see DecodeNDJSON for the field names.
//   - readsb "trace" JSON files (readsb README-json.md, "trace" section); see
//     ReadTrace.
//   - Recorded trajectories written by pandas DataFrame.to_json in the
//     "columns" or "records" orient (the xoolive/traffic sample files); see
//     ReadTraffic.
//
// Every line is bounded and validated; a bad line is an error value that the
// readers count and skip, never a reason to stop a feed. Errors about input
// match ErrInvalid with errors.Is.
//
// Recorded tracks may be moved in space and time (Relocate) and replayed at a
// chosen speed (Replay); relocated positions carry Relocated = true so that no
// one mistakes a demonstration for a real flight.
package feed
