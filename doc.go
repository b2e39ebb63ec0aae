// Package truce holds Truce's domain types, service interfaces, error codes and
// pure domain rules. Implementations live in sub-packages: sqlite and postgres
// (stores), api (HTTP server and client), ledger (the verifiable log), geo and
// spatial (geometry), feed and monitor (the air picture), journal (the one
// write path and the state checks) and the capabilities over it, such as
// accounts (parties, users, tokens, keys, sign-in) and airspace.
package truce
