package service

import "github.com/truce-project/truce"

// alertID is an alert's journal subject, for the self-check (the alerts
// themselves are package airspace's).
func alertID(a *truce.Alert) string { return a.ID }
