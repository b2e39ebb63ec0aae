package monitor_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"github.com/truce-project/truce/monitor"
)

// TestEpisodeID_KeepsEarlierReleasesHash: an episode's id keeps, after its
// start's 6 bytes, the first 10 bytes of the id the releases before gave
// it (the hash's first 16 bytes), so that the journal writer finds an
// episode an earlier release opened (airspace's legacyEpisodePrefix). The
// earlier rule is written out here as it was.
func TestEpisodeID_KeepsEarlierReleasesHash(t *testing.T) {
	earlier := func(kind string, a, b uint32, key string, start time.Time) string {
		h := sha256.New()
		var buf [20]byte
		binary.BigEndian.PutUint32(buf[0:], a)
		binary.BigEndian.PutUint32(buf[4:], b)
		binary.BigEndian.PutUint64(buf[8:], uint64(start.UnixNano()))
		binary.BigEndian.PutUint32(buf[16:], uint32(len(key)))
		h.Write([]byte(kind))
		h.Write([]byte{0})
		h.Write(buf[:])
		h.Write([]byte(key))
		return hex.EncodeToString(h.Sum(nil)[:16])
	}
	start := time.Date(2026, 12, 7, 22, 30, 0, 123456789, time.UTC)
	for _, c := range []struct {
		kind string
		a, b uint32
		key  string
	}{{"zone", 0x4CA001, 0, "zone-1"}, {"proximity", 0x4CA001, 0x738065, ""}, {"predicted", 0x738065, 0, "zone-2"}, {"squawk", 0x4CA001, 7700, ""}} {
		id, old := monitor.EpisodeID(c.kind, c.a, c.b, c.key, start), earlier(c.kind, c.a, c.b, c.key, start)
		if len(id) != 32 || id[12:] != old[:20] {
			t.Errorf("%s: id %s does not keep %s, the first 10 bytes of the earlier id %s", c.kind, id, old[:20], old)
		}
	}
}
