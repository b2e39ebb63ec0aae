// Package truce is the vocabulary every capability shares: domain types,
// service interfaces, error codes, the signed-in Caller, the journal
// entry format, record ids and paging, one BBox and its parser, and the
// pure domain rules (zone version and agreement transitions, who may
// sign). It imports nothing of Truce. Each capability is a package of its
// own over it (accounts, zones, humanitarian, observation, control,
// airspace), writing through package journal; the stores (sqlite and
// postgres, over internal/sqlstore), the delivery layers (api, ui,
// cmd/truce) and the engines (geo, spatial, feed, monitor, ledger,
// events, capxml) are packages too, and node wires them into a server.
package truce
