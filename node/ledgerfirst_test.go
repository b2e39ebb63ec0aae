package node

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// TestVouch_StartUpLoadChecksTree: a no-fly zone is moved to 10°N 10°E
// in the database, its row and its journal entries rewritten together so
// that each entry's body hashes to its leaf's body_hash and each leaf
// says what its columns say: only the Merkle tree, which the rewrite did
// not touch, tells the entries were changed. The zone index loaded at
// start-up must check its entries against the tree and keep the forged
// zone out. Before, Open loaded the zone index before it opened the log,
// so the load checked entries without the tree's leaves and held the
// zone at 10°N 10°E.
func TestVouch_StartUpLoadChecksTree(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		z := noFlyZone(t, n, truce.NewContext(context.Background(), e.admin))
		n.Close()
		move := strings.NewReplacer("[36,33]", "[10,10]", "[36.2,33]", "[10.2,10]", "[36.2,33.2]", "[10.2,10.2]", "[36,33.2]", "[10,10.2]").Replace
		e.edit(t, func(exec func(string, ...any), query func(string, ...any) *sql.Row) {
			var doc string
			if err := query(`SELECT doc FROM zone_versions WHERE zone_id = ? AND version = 1`, z.ID).Scan(&doc); err != nil {
				t.Fatal(err)
			}
			exec(`UPDATE zone_versions SET doc = ?, min_lon = 10, min_lat = 10, max_lon = 10.2, max_lat = 10.2 WHERE zone_id = ? AND version = 1`, move(doc), z.ID)
			forged := 0
			for idx := int64(0); ; idx++ {
				var body, salt, leaf []byte
				err := query(`SELECT body, salt, leaf FROM journal WHERE idx = ?`, idx).Scan(&body, &salt, &leaf)
				if err == sql.ErrNoRows {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				moved := []byte(move(string(body)))
				if string(moved) == string(body) {
					continue
				}
				var en truce.Entry
				if err := json.Unmarshal(leaf, &en); err != nil {
					t.Fatal(err)
				}
				en.BodyHash = truce.BodyHash(salt, moved)
				l, err := en.Leaf()
				if err != nil {
					t.Fatal(err)
				}
				exec(`UPDATE journal SET body = ?, body_hash = ?, leaf = ? WHERE idx = ?`, moved, en.BodyHash, l, idx)
				forged++
			}
			if forged == 0 {
				t.Fatal("no journal entry holds the zone's geometry")
			}
		})
		n, err := e.open(t, false)
		if err != nil {
			t.Fatal(err)
		}
		if ids := n.Zones.Index.Containing(10.1, 10.1, 1000, time.Now()); len(ids) != 0 {
			t.Errorf("the zone index loaded at start-up holds the forged zone at 10°N 10°E: %v", ids)
		}
		waitReadyz(t, n, "integrity", "Merkle tree")
	})
}
