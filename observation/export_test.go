package observation

// The changes the service journals, for the external tests that store
// records in bulk as the service would (the daily report benchmark).
var (
	ObservationChange = observationChange
	IncidentChange    = incidentChange
)
