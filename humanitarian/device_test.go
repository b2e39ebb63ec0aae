package humanitarian_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// TestService_DeviceToken: a movement's party issues a device token for
// a phone's tracker; the token reports that movement's positions with no
// other credential; it is refused once revoked, once expired, and when
// its row is edited behind the server (its expiry put off); another party
// cannot issue one; a movement holds at most MaxDevicesPerMovement live
// tokens.
func TestService_DeviceToken(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			t0 := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
			clock := t0
			w.svc.Journal.Now = func() time.Time { return clock }
			f := convoy()
			f.Departure = humanitarian.Window{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
			f.Arrival = humanitarian.Window{From: t0.Add(2 * time.Hour), To: t0.Add(4 * time.Hour)}
			m := must[*humanitarian.Movement](t)(w.svc.CreateMovement(w.sarc, humanitarian.MovementCreate{AgreementID: w.ag.ID, Notify: true, MovementFields: f}))
			m = must[*humanitarian.Movement](t)(w.svc.MoveMovement(w.sarc, m.ID, 0, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}))

			if _, err := w.svc.IssueDevice(w.ga, m.ID, humanitarian.DeviceIssue{Name: "phone"}); truce.ErrorCode(err) != truce.EFORBIDDEN {
				t.Errorf("a guarantor issued a tracker for SARC's convoy: %v", err)
			}
			if _, err := w.svc.IssueDevice(w.sarc, m.ID, humanitarian.DeviceIssue{Name: " "}); truce.ErrorCode(err) != truce.EINVALID {
				t.Errorf("a tracker without a name: %v", err)
			}
			d := must[*humanitarian.IssuedDevice](t)(w.svc.IssueDevice(w.sarc, m.ID, humanitarian.DeviceIssue{Name: "Lead truck phone"}))
			if !strings.HasPrefix(d.Token, humanitarian.DeviceTokenPrefix) || d.Device.JournalIndex == 0 {
				t.Fatalf("issued %+v", d)
			}
			if want := f.Arrival.To.Add(humanitarian.DeviceGrace); !d.Device.ExpiresAt.Equal(want) {
				t.Errorf("expires at %s, want the arrival window's end and a day, %s", d.Device.ExpiresAt, want)
			}
			clock = t0.Add(time.Minute)
			r, err := w.svc.ReportDevicePosition(t.Context(), d.Token, humanitarian.ConvoyPosition{Lon: 36.0101, Lat: 32.5445, Time: clock})
			if err != nil || r.Movement != m.ID || !r.Inside {
				t.Fatalf("position by device token: %+v, %v", r, err)
			}
			if p, err := w.svc.LastPosition(w.ga, m.ID); err != nil || !p.Time.Equal(clock) {
				t.Fatalf("last position: %+v, %v", p, err)
			}
			for _, bad := range []string{"", "tcd_", d.Token + "x", m.ID, strings.Repeat("tcd_", 40)} {
				if _, err := w.svc.ReportDevicePosition(t.Context(), bad, humanitarian.ConvoyPosition{Lon: 36.0101, Lat: 32.5445, Time: clock}); truce.ErrorCode(err) != truce.EUNAUTHORIZED {
					t.Errorf("token %q: %v, want unauthorized", bad, err)
				}
			}
			ds := must[[]*humanitarian.ConvoyDevice](t)(w.svc.Devices(w.sarc, m.ID))
			if len(ds) != 1 || ds[0].ID != d.Device.ID {
				t.Fatalf("devices %+v", ds)
			}
			if _, err := w.svc.Devices(w.ga, m.ID); truce.ErrorCode(err) != truce.EFORBIDDEN {
				t.Errorf("another party listed the trackers: %v", err)
			}

			// Revoked: refused from then on.
			if _, err := w.svc.RevokeDevice(w.ga, m.ID, d.Device.ID); truce.ErrorCode(err) != truce.EFORBIDDEN {
				t.Errorf("a guarantor revoked SARC's tracker: %v", err)
			}
			rev := must[*humanitarian.ConvoyDevice](t)(w.svc.RevokeDevice(w.sarc, m.ID, d.Device.ID))
			if rev.RevokedAt == nil || rev.Version != 2 {
				t.Fatalf("revoked %+v", rev)
			}
			if _, err := w.svc.ReportDevicePosition(t.Context(), d.Token, humanitarian.ConvoyPosition{Lon: 36.0101, Lat: 32.5445, Time: clock}); truce.ErrorCode(err) != truce.EUNAUTHORIZED {
				t.Errorf("revoked token: %v", err)
			}
			if _, err := w.svc.RevokeDevice(w.sarc, m.ID, d.Device.ID); truce.ErrorCode(err) != truce.ECONFLICT {
				t.Errorf("revoked twice: %v", err)
			}

			// Expired: refused after its expiry, even if its row says later.
			soon := clock.Add(10 * time.Minute)
			e := must[*humanitarian.IssuedDevice](t)(w.svc.IssueDevice(w.sarc, m.ID, humanitarian.DeviceIssue{Name: "Spare", ExpiresAt: &soon}))
			if !e.Device.ExpiresAt.Equal(soon) {
				t.Fatalf("expires at %s, want %s", e.Device.ExpiresAt, soon)
			}
			clock = soon
			if _, err := w.svc.ReportDevicePosition(t.Context(), e.Token, humanitarian.ConvoyPosition{Lon: 36.0101, Lat: 32.5445, Time: clock}); truce.ErrorCode(err) != truce.EUNAUTHORIZED {
				t.Errorf("expired token: %v", err)
			}
			db := st.(interface{ DB() *sql.DB }).DB()
			if _, err := db.Exec(`UPDATE convoy_devices SET doc = REPLACE(doc, '"expires_at":"20', '"expires_at":"21') WHERE id = '` + e.Device.ID + `'`); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.ReportDevicePosition(t.Context(), e.Token, humanitarian.ConvoyPosition{Lon: 36.0101, Lat: 32.5445, Time: clock}); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Errorf("token whose expiry was put off behind the server: %v, want integrity", err)
			}

			if _, err := db.Exec(`UPDATE convoy_devices SET doc = REPLACE(doc, '"expires_at":"21', '"expires_at":"20') WHERE id = '` + e.Device.ID + `'`); err != nil {
				t.Fatal(err)
			}
			// Bounded: MaxDevicesPerMovement live tokens (the revoked and
			// the expired do not count).
			for i := range humanitarian.MaxDevicesPerMovement {
				if _, err := w.svc.IssueDevice(w.sarc, m.ID, humanitarian.DeviceIssue{Name: "Truck"}); err != nil {
					t.Fatalf("tracker %d: %v", i+1, err)
				}
			}
			if _, err := w.svc.IssueDevice(w.sarc, m.ID, humanitarian.DeviceIssue{Name: "One too many"}); truce.ErrorCode(err) != truce.ECONFLICT {
				t.Errorf("tracker beyond the bound: %v", err)
			}
		})
	}
}
