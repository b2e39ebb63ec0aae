package capxml_test

import (
	"os"
	"time"

	"github.com/truce-project/truce/capxml"
)

func ExampleEncode() {
	err := capxml.Encode(os.Stdout, capxml.Alert{
		Identifier: "truce-alert-0001",
		Sender:     "monitor@truce.example",
		Sent:       time.Date(2026, 11, 30, 12, 5, 9, 0, time.UTC),
		Status:     capxml.StatusExercise,
		MsgType:    capxml.MsgAlert,
		Scope:      capxml.ScopePublic,
		Info: []capxml.Info{{
			Categories: []capxml.Category{capxml.CategorySecurity},
			Event:      "No-fly zone entry",
			Urgency:    capxml.UrgencyImmediate,
			Severity:   capxml.SeveritySevere,
			Certainty:  capxml.CertaintyObserved,
			Areas: []capxml.Area{{
				Desc:    "Buffer zone B",
				Circles: []capxml.Circle{{Center: capxml.Point{Lat: 33.5138, Lon: 36.2765}, RadiusKm: 10}},
			}},
		}},
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
	//   <identifier>truce-alert-0001</identifier>
	//   <sender>monitor@truce.example</sender>
	//   <sent>2026-11-30T12:05:09+00:00</sent>
	//   <status>Exercise</status>
	//   <msgType>Alert</msgType>
	//   <scope>Public</scope>
	//   <info>
	//     <category>Security</category>
	//     <event>No-fly zone entry</event>
	//     <urgency>Immediate</urgency>
	//     <severity>Severe</severity>
	//     <certainty>Observed</certainty>
	//     <area>
	//       <areaDesc>Buffer zone B</areaDesc>
	//       <circle>33.5138,36.2765 10</circle>
	//     </area>
	//   </info>
	// </alert>
}
