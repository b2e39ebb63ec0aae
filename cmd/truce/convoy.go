package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

func init() {
	register("convoy", "report a convoy's positions, show where it is and the alerts its tracking raised, and issue its trackers' device tokens", runConvoy, "report", "show", "alerts", "tracker", "trackers", "revoke-tracker")
}

// convoyAlertKinds are the alerts convoy tracking raises.
var convoyAlertKinds = []truce.AlertKind{humanitarian.AlertConvoyDeviation, humanitarian.AlertConvoyStopped, humanitarian.AlertConvoySilent, humanitarian.AlertConvoyBehind, humanitarian.AlertConvoyZoneEntry}

func runConvoy(ctx context.Context, args []string) error {
	var cf clientFlags
	sub, rest := args[0], args[1:]
	switch sub {
	case "report":
		fs := newFlags("convoy report", "convoy report MOVEMENT --lon X --lat Y [--time RFC3339] [--speed KN] [--bearing DEG]")
		lon := fs.Float64("lon", math.NaN(), "longitude")
		lat := fs.Float64("lat", math.NaN(), "latitude")
		at := fs.String("time", "", "when the position was taken (RFC 3339; now when unset)")
		speed := fs.Float64("speed", math.NaN(), "speed, knots")
		bearing := fs.Float64("bearing", math.NaN(), "bearing, degrees")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		if math.IsNaN(*lon) || math.IsNaN(*lat) {
			return fmt.Errorf("convoy report: --lon and --lat are required")
		}
		p := humanitarian.ConvoyPosition{Lon: *lon, Lat: *lat}
		if *at != "" {
			if p.Time, err = time.Parse(time.RFC3339, *at); err != nil {
				return fmt.Errorf("convoy report: --time is an RFC 3339 time: %q", *at)
			}
		}
		if !math.IsNaN(*speed) {
			p.SpeedKn = speed
		}
		if !math.IsNaN(*bearing) {
			p.Bearing = bearing
		}
		res, err := cl.ReportPosition(ctx, pos[0], p)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(res)
		}
		where := "on its route"
		if !res.Inside {
			where = "OFF its route"
		}
		fmt.Fprintf(stdout, "Movement %s: %s, %.0f m from it.\n", res.Movement, where, res.DistanceM)
		if res.Alert != nil {
			fmt.Fprintf(stdout, "ALERT %s (%s): %s\n", res.Alert.ID, res.Alert.Kind, res.Alert.Summary)
		}
		return nil
	case "show":
		fs := newFlags("convoy show", "convoy show MOVEMENT")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		m, err := cl.FindMovement(ctx, pos[0])
		if err != nil {
			return err
		}
		p, err := cl.LastPosition(ctx, pos[0])
		if truce.ErrorCode(err) == truce.ENOTFOUND {
			p, err = nil, nil
		}
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(map[string]any{"movement": m, "position": p})
		}
		fmt.Fprintf(stdout, "Movement %s %q: %s; leaves by %s, arrives by %s.\n", m.ID, m.Name, m.Status,
			m.Departure.To.UTC().Format(time.RFC3339), m.Arrival.To.UTC().Format(time.RFC3339))
		if p == nil {
			fmt.Fprintln(stdout, "No position reported.")
			return nil
		}
		fmt.Fprintf(stdout, "Last position %.5f,%.5f at %s.\n", p.Lon, p.Lat, p.Time.UTC().Format(time.RFC3339))
		return nil
	case "alerts":
		fs := newFlags("convoy alerts", "convoy alerts [--movement ID] [--limit N]")
		movement := fs.String("movement", "", "only this movement's")
		limit := fs.Int("limit", 50, "alerts of each kind, newest first")
		cf.add(fs)
		_, cl, err := cf.parse(fs, rest, 0)
		if err != nil {
			return err
		}
		var all []*truce.Alert
		for _, k := range convoyAlertKinds {
			as, _, err := cl.ListAlerts(ctx, truce.AlertFilter{Kind: k, Limit: *limit})
			if err != nil {
				return err
			}
			for _, a := range as {
				if *movement == "" || strings.HasPrefix(a.Episode, *movement+"@") || strings.HasPrefix(a.Episode, *movement+"/") {
					all = append(all, a)
				}
			}
		}
		if cf.json {
			return printJSON(all)
		}
		table("ALERT\tKIND\tTIME\tSTATE\tSUMMARY", func(w *tabwriter.Writer) {
			for _, a := range all {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Kind, a.Time.UTC().Format(time.RFC3339), a.State, a.Summary)
			}
		})
		return nil
	case "tracker":
		fs := newFlags("convoy tracker", "convoy tracker MOVEMENT --name NAME [--expires RFC3339]")
		name := fs.String("name", "", "the vehicle or phone the tracker is on")
		expires := fs.String("expires", "", "end the token sooner than the movement's arrival window (RFC 3339)")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		in := humanitarian.DeviceIssue{Name: *name}
		if *expires != "" {
			e, err := time.Parse(time.RFC3339, *expires)
			if err != nil {
				return fmt.Errorf("convoy tracker: --expires is an RFC 3339 time: %q", *expires)
			}
			in.ExpiresAt = &e
		}
		d, err := cl.IssueDevice(ctx, pos[0], in)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(d)
		}
		fmt.Fprintf(stdout, "Tracker %s for movement %s, until %s. Its token, shown once:\n%s\n", d.Device.ID, d.Device.MovementID,
			d.Device.ExpiresAt.UTC().Format(time.RFC3339), d.Token)
		// OsmAnd's online tracking URL template: {0} latitude, {1}
		// longitude, {2} time, {6} bearing.
		fmt.Fprintf(stdout, "OsmAnd online tracking URL:\n%s/api/v1/convoys/tracker?id=%s&lat={0}&lon={1}&timestamp={2}&bearing={6}\n",
			strings.TrimRight(cf.url, "/"), d.Token)
		return nil
	case "trackers":
		fs := newFlags("convoy trackers", "convoy trackers MOVEMENT")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 1)
		if err != nil {
			return err
		}
		ds, err := cl.Devices(ctx, pos[0])
		if err != nil {
			return err
		}
		return printList(cf.json, ds, ds, "", "TRACKER\tNAME\tEXPIRES\tREVOKED", func(d *humanitarian.ConvoyDevice) string {
			revoked := "-"
			if d.RevokedAt != nil {
				revoked = d.RevokedAt.UTC().Format(time.RFC3339)
			}
			return fmt.Sprintf("%s\t%s\t%s\t%s", d.ID, d.Name, d.ExpiresAt.UTC().Format(time.RFC3339), revoked)
		})
	case "revoke-tracker":
		fs := newFlags("convoy revoke-tracker", "convoy revoke-tracker MOVEMENT TRACKER")
		cf.add(fs)
		pos, cl, err := cf.parse(fs, rest, 2)
		if err != nil {
			return err
		}
		d, err := cl.RevokeDevice(ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(d)
		}
		fmt.Fprintf(stdout, "Tracker %s revoked at %s: its positions are refused from now on.\n", d.ID, d.RevokedAt.UTC().Format(time.RFC3339))
		return nil
	}
	return fmt.Errorf("convoy: unknown sub-verb %q: use report, show, alerts, tracker, trackers or revoke-tracker", sub)

}
