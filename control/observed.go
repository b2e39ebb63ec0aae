package control

import (
	"context"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/observation"
)

// Observed is what control reads of ceasefire observation's store: its
// incidents. observation.Store implements it.
type Observed interface {
	Incident(ctx context.Context, id string) (*observation.Incident, error)
	Incidents(ctx context.Context, f observation.IncidentFilter) ([]*observation.Incident, error)
}

// ObservedIncidents returns the Incidents control reads over
// observation's store st: the verified incidents of territory overtaken,
// each as j holds it (a row changed behind the server's back is read as
// its entry says, and reported).
func ObservedIncidents(st Observed, j *journal.Journal) Incidents {
	return observedIncidents{st: st, j: j}
}

// IncidentWakes reports whether e, a change this server journalled, may
// raise or withdraw breaches of incidents, so that CheckIncidents should
// run now rather than at its next tick: any change of an incident of
// territory overtaken (one verified raises breaches, one no longer
// verified withdraws them). An incident event whose record is not
// observation's wakes it too: a check too many costs a read, one too few
// a breach late.
func IncidentWakes(e truce.Event) bool {
	if e.Kind != "incident" {
		return false
	}
	inc, ok := e.Data.(*observation.Incident)
	return !ok || taken(inc.Category)
}

// taken reports whether an incident of category c is one of territory
// overtaken, the one category control reads.
func taken(c observation.Category) bool { return c == observation.CatTerritory }

type observedIncidents struct {
	st Observed
	j  *journal.Journal
}

// incidentPage is how many incidents TerritoryTaken reads at a time.
const incidentPage = 500

func (o observedIncidents) TerritoryTaken(ctx context.Context, fn func(*TakenIncident) error) error {
	f := observation.IncidentFilter{Status: observation.StatusVerified, Limit: incidentPage}
	for {
		rows, err := o.st.Incidents(ctx, f)
		if err != nil {
			return err
		}
		incs, _, err := journal.VouchRecords(ctx, o.j, "incident", rows, incidentID)
		if err != nil {
			return err
		}
		for _, inc := range incs {
			if inc.Status != observation.StatusVerified || !taken(inc.Category) {
				continue
			}
			if err := fn(&TakenIncident{ID: inc.ID, Version: inc.Version, Lon: inc.Center.Lon, Lat: inc.Center.Lat, Start: inc.Start, End: inc.End,
				Actor: inc.Actor, Observations: inc.Observations, Observers: inc.Observers}); err != nil {
				return err
			}
		}
		if len(rows) < incidentPage {
			return nil
		}
		f.Cursor = rows[len(rows)-1].ID
	}
}

func (o observedIncidents) Incident(ctx context.Context, id string) (*IncidentNow, error) {
	row, err := o.st.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	incs, bad, err := journal.VouchRecords(ctx, o.j, "incident", []*observation.Incident{row}, incidentID)
	if err != nil {
		return nil, err
	}
	if len(incs) != 1 {
		return nil, bad
	}
	inc := incs[0]
	return &IncidentNow{ID: inc.ID, Version: inc.Version, Status: string(inc.Status), Category: string(inc.Category), MergedInto: inc.MergedInto,
		Taken: inc.Status == observation.StatusVerified && taken(inc.Category)}, nil
}

func incidentID(i *observation.Incident) string { return i.ID }
