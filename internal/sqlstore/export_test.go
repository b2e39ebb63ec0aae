package sqlstore

import "github.com/truce-project/truce"

// AlertsQuery is Alerts' query, for the tests that read its plan.
func (s *Store) AlertsQuery(f truce.AlertFilter) (string, []any) { return s.alertsQuery(f) }
