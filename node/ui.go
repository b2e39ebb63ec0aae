package node

import (
	"os"

	"github.com/truce-project/truce/ui"
)

// mountUI serves the web interface at / beside the API (whose more specific
// routes keep precedence), over the same services and as the signed-in
// user. The online tile layer comes from Config.TileURL or TRUCE_TILE_URL;
// without one the map draws only the embedded base map.
func (n *Node) mountUI() error {
	tile := n.Config.TileURL
	if tile == "" {
		tile = os.Getenv("TRUCE_TILE_URL")
	}
	svc := ui.Services{Auth: n.Accounts, Parties: n.Accounts, Users: n.Accounts, Tokens: n.Accounts, Journal: n.Journal,
		Proofs: n.Journal, Agreements: n.Zones, Zones: n.Zones, Alerts: n.Air, Aircraft: n.Air, Feeds: n.Air, API: n.API}
	svc.Events, svc.Checkpoints = n.Store, n.Store
	var ws []ui.Witness
	for _, w := range n.Config.Witnesses {
		ws = append(ws, ui.Witness{URL: w.URL, Key: w.Key})
	}
	u, err := ui.New(svc, ui.Config{TileURL: tile, TileAttribution: os.Getenv("TRUCE_TILE_ATTRIBUTION"),
		LogVerifierKey: n.LogVerifierKey, Witnesses: ws, WitnessQuorum: n.Config.WitnessQuorum, Logger: n.log})
	if err != nil {
		return err
	}
	if n.Humanitarian != nil {
		u.AddHumanitarian(n.Humanitarian)
	}
	n.UI = u
	u.AddControl(n.Control)
	if n.Operations != nil {
		u.AddOperations(n.Operations)
	}
	n.API.HandleRaw("/", u)
	return nil
}
