package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/truce-project/truce/node"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/partykey"
	"golang.org/x/mod/sumdb/note"
)

// The control scenario's times. The years are those of public reporting
// on the Yarmouk basin (held by an ISIS affiliate from 2016, retaken by
// government forces in the summer of 2018); the days are illustrative.
var (
	isisFrom   = time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)
	liberation = time.Date(2018, 8, 1, 0, 0, 0, 0, time.UTC)
)

// RetakenVillage is the illustrative control change of the scenario: a
// faction re-takes a square of about 2 km around Ash-Shajara town, inside
// the liberated sub-district. No such event is recorded; it is there to
// show a breach being raised and answered.
const RetakenVillage = `{"type":"Polygon","coordinates":[[[35.871,32.765],[35.893,32.765],[35.893,32.783],[35.871,32.783],[35.871,32.765]]]}`

// setupControl adds the control scenario: the Yarmouk basin (OCHA's
// Ash-Shajara sub-district) as a liberated zone of the agreement, the
// actors, ISIS's control until the liberation and the government's since,
// Russia's guarantee that only government forces hold it, the faction's
// illustrative re-taking of a village (a breach) and Russia's signed
// answer within the deadline.
func setupControl(ctx context.Context, svc *node.Base, ctl *control.Service, sc *Scenario, actors map[string]context.Context, keys map[string]*partykey.Key) error {
	fs, err := features("data/yarmouk-subdistrict-ocha.geojson")
	if err != nil {
		return err
	}
	us, ru, monitor := actors["us"], actors["ru"], actors["amman-mc"]
	z, v, err := svc.Zones.ProposeZone(us, truce.ZoneProposal{Agreement: sc.Agreement.ID, Name: "Yarmouk basin (Ash-Shajara sub-district), liberated from ISIS",
		Kind: truce.ZoneLiberated, Geometry: fs[0].Geometry, Repair: true})
	if err != nil {
		return fmt.Errorf("demo liberated zone: %w", err)
	}
	for _, p := range []string{"us", "ru", "jo"} {
		if k := keys[p]; k != nil {
			v, err = partykey.DecideZone(actors[p], partykey.Local{ZoneService: svc.Zones}, k, v.ZoneID, v.Version, true, "")
		} else {
			v, err = svc.Zones.DecideZone(actors[p], v.ZoneID, v.Version, truce.ZoneDecision{Approve: true})
		}
		if err != nil {
			return fmt.Errorf("demo liberated zone, approval by %s: %w", p, err)
		}
	}
	sc.InForce = append(sc.InForce, v)
	for _, a := range []control.ActorInput{
		{Slug: "syrian-government", Names: map[string]string{"en": "Syrian government forces", "ar": "القوات الحكومية السورية"}, Type: control.StateForces, Guarantor: "ru", GuaranteeFrom: &sc.Agreement.EffectiveFrom},
		{Slug: "isis", Names: map[string]string{"en": "Islamic State (ISIS)", "ar": "تنظيم الدولة الإسلامية"}, Aliases: []string{"ISIL", "Daesh", "Jaish Khalid ibn al-Walid"}, Type: control.RebelGroup},
		{Slug: "faction", Names: map[string]string{"en": "Armed faction (illustrative)", "ar": "فصيل مسلح (توضيحي)"}, Type: control.RebelGroup},
	} {
		if _, err := ctl.AddActor(monitor, a); err != nil {
			return fmt.Errorf("demo actor %s: %w", a.Slug, err)
		}
	}
	area := fs[0].Geometry
	if _, err := ctl.AddControl(monitor, control.ControlInput{Actor: "isis", Name: "Yarmouk basin", Geometry: area, From: isisFrom, To: &liberation,
		Source: "Public reporting (dates approximate)", Confidence: control.ConfidenceMedium}); err != nil {
		return fmt.Errorf("demo control by ISIS: %w", err)
	}
	if _, err := ctl.AddControl(monitor, control.ControlInput{Actor: "syrian-government", Name: "Yarmouk basin", Geometry: area, From: liberation,
		LiberatedFrom: "isis", Source: "Public reporting (dates approximate)", Confidence: control.ConfidenceMedium}); err != nil {
		return fmt.Errorf("demo liberation: %w", err)
	}
	if _, err := ctl.AddGuarantee(ru, control.GuaranteeInput{AgreementID: sc.Agreement.ID, ZoneID: z.ID, Guarantors: []string{"ru"}, Allowed: []string{"syrian-government"}, From: liberation}); err != nil {
		return fmt.Errorf("demo guarantee: %w", err)
	}
	rec, err := ctl.AddControl(monitor, control.ControlInput{Actor: "faction", Name: "Ash-Shajara (illustrative re-taking)", Geometry: json.RawMessage(RetakenVillage),
		From: time.Now().UTC().Add(-6 * time.Hour).Truncate(time.Minute), Source: "Illustrative monitor report: not a recorded event", Confidence: control.ConfidenceLow})
	if err != nil {
		return fmt.Errorf("demo re-taking: %w", err)
	}
	if len(rec.Breaches) != 1 {
		return fmt.Errorf("demo re-taking raised %d breaches, want 1", len(rec.Breaches))
	}
	b := rec.Breaches[0]
	// Russia holds its own key: its operator signs the statement, as the
	// CLI's user would.
	action := "The guarantor instructed the faction to withdraw and deployed military police to Ash-Shajara; withdrawal to be verified by the monitoring centre."
	sig := ""
	if k := keys["ru"]; k != nil {
		msg, err := note.Sign(&note.Note{Text: control.ResponseStatement(b, action)}, k.Signer)
		if err != nil {
			return err
		}
		sig = string(msg)
	}
	if _, err := ctl.Respond(ru, b.ID, action, sig); err != nil {
		return fmt.Errorf("demo response: %w", err)
	}
	return nil
}
