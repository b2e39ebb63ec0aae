package api_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/events"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/observation"
	"github.com/truce-project/truce/operations"
)

// TestOpenAPI_RequestSchemas keeps the document true to the decoder and
// the services: each request schema's required list is the fields the
// decoder requires (struct tag required:"true"), and free-text fields
// state the limits the services enforce.
func TestOpenAPI_RequestSchemas(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Required   []string                   `json:"required"`
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	types := map[string]any{
		"PartyCreate": truce.PartyCreate{}, "UserCreate": truce.UserCreate{}, "TokenCreate": truce.TokenCreate{},
		"AgreementCreate": truce.AgreementCreate{}, "AgreementUpdate": truce.AgreementUpdate{}, "ZoneProposal": truce.ZoneProposal{},
		"ZoneImport": truce.ZoneImport{}, "ZoneDecision": truce.ZoneDecision{}, "KeyRotation": truce.KeyRotation{}, "WebhookCreate": events.WebhookCreate{},
		"AgreementMotion": truce.AgreementMotion{}, "NoticeCreate": truce.NoticeCreate{},
		"SiteCreate": humanitarian.SiteCreate{}, "SiteUpdate": humanitarian.SiteUpdate{}, "SiteImport": api.SiteImport{},
		"BatchAcknowledgement": api.BatchAcknowledgement{},
		"MovementCreate":       humanitarian.MovementCreate{}, "MovementStep": humanitarian.MovementStep{}, "MovementFields": humanitarian.MovementFields{},
		"ObservationInput": observation.Input{}, "IncidentDecision": observation.DecisionInput{},
		"OperationFile": operations.FileInput{}, "OperationPlan": operations.Plan{}, "OperationApproval": operations.ApproveInput{},
		"OperationAmend": api.OperationAmend{}, "OperationStatus": api.OperationStatus{}, "OperationVolumeInput": operations.VolumeInput{},
		"IncidentMerge": observation.MergeInput{}, "IncidentSplit": observation.SplitInput{},
		"ReportPublish": observation.PublishInput{},
		"AlertAckInput": truce.AlertAckInput{},
	}
	for name, v := range types {
		req := requiredFields(reflect.TypeOf(v))
		got := slices.Clone(doc.Components.Schemas[name].Required)
		slices.Sort(req)
		slices.Sort(got)
		if !slices.Equal(req, got) {
			t.Errorf("%s: openapi.json requires %v, the decoder %v", name, got, req)
		}
	}
	limits := []struct {
		schema, field string
		max           int
	}{
		{"PartyCreate", "name", truce.MaxNameLen}, {"PartyCreate", "public_key", truce.MaxPublicKeyLen},
		{"UserCreate", "name", truce.MaxNameLen}, {"UserCreate", "party", truce.MaxRefLen},
		{"TokenCreate", "name", truce.MaxNameLen}, {"AgreementCreate", "title", truce.MaxTitleLen},
		{"AgreementCreate", "reference", truce.MaxTextLen}, {"AgreementUpdate", "title", truce.MaxTitleLen},
		{"ZoneProposal", "name", truce.MaxNameLen}, {"ZoneProposal", "note", truce.MaxTextLen},
		{"ZoneDecision", "reason", truce.MaxTextLen}, {"ZoneDecision", "signature", truce.MaxSignatureLen}, {"KeyRotation", "note", truce.MaxSignatureLen},
		{"WebhookCreate", "url", 2048}, {"AgreementMotion", "note", truce.MaxTextLen},
		{"NoticeCreate", "reason", truce.MaxTextLen}, {"NoticeCreate", "signature", truce.MaxSignatureLen},
		{"SiteCreate", "name", humanitarian.MaxNameLen}, {"SiteCreate", "contact", humanitarian.MaxContactLen},
		{"AnswerInput", "text", humanitarian.MaxConcernText}, {"AnswerInput", "signature", truce.MaxSignatureLen},
		{"ObservationInput", "narrative", observation.MaxNarrative}, {"ObservationInput", "weapon", observation.MaxWeaponLen},
		{"ObservationInput", "actor", observation.MaxActorLen}, {"IncidentDecision", "reason", truce.MaxTextLen},
		{"IncidentDecision", "signature", truce.MaxSignatureLen},
		{"IncidentMerge", "reason", truce.MaxTextLen}, {"IncidentSplit", "reason", truce.MaxTextLen},
		{"ReportPublish", "reason", truce.MaxTextLen},
	}
	for _, l := range limits {
		var p struct {
			MaxLength int `json:"maxLength"`
		}
		json.Unmarshal(doc.Components.Schemas[l.schema].Properties[l.field], &p)
		if p.MaxLength != l.max {
			t.Errorf("%s.%s: maxLength %d, the service's limit %d", l.schema, l.field, p.MaxLength, l.max)
		}
	}
}

// requiredFields lists the JSON names of a struct's fields tagged
// required:"true", its embedded structs' included (as the decoder reads
// them).
func requiredFields(rt reflect.Type) []string {
	var req []string
	for i := range rt.NumField() {
		f := rt.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" && f.Type.Kind() == reflect.Struct {
			req = append(req, requiredFields(f.Type)...)
			continue
		}
		if f.Tag.Get("required") == "true" {
			n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			req = append(req, n)
		}
	}
	return req
}
