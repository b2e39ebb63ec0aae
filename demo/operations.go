package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/operations"
	"github.com/truce-project/truce/partykey"
	"golang.org/x/mod/sumdb/note"
)

// Operations is what the demo's planned operations did (illustrative
// plans, not real ones).
type Operations struct {
	// USPatrol is the United States' air patrol; RUPatrol Russia's ground
	// patrol past the Dar'a field hospital, filed with a warning;
	// RUStrike the Russian strike package, refused while it overlapped
	// the US patrol and filed with its window moved; Joint the joint
	// US–Russian strike on ISIS positions, approved by both.
	USPatrol, RUPatrol, RUStrike, Joint *operations.Result
	// Refused is why the strike package's first filing was refused.
	Refused string
}

func square(x0, y0, x1, y1 float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}})
	return b
}

// setupOperations files the demo's operations, two days from now: a US
// air patrol over Dar'a; a Russian ground patrol along the road past the
// Dar'a field hospital (a warning both sides are told of); a Russian
// strike package on the Yarmouk basin refused while it overlaps the US
// patrol, then filed with its window moved after it (the agreement
// prohibits air strikes in the de-escalation zone: ISIS, excluded from the
// ceasefire, is the target, and the override's reason says so, journalled
// and alerted to every party); and a joint US–Russian strike on ISIS
// positions approved by both, Russia signing with the key it holds.
func setupOperations(ctx context.Context, svc *node.Base, sc *Scenario, actors map[string]context.Context, keys map[string]*partykey.Key) (*Operations, error) {
	ops, err := node.OpenOperations(ctx, svc)
	if err != nil {
		return nil, err
	}
	day := time.Now().UTC().Truncate(time.Hour).Add(48 * time.Hour)
	vol := func(area json.RawMessage, buffer, floor, ceil float64, from, hours int) operations.VolumeInput {
		s := day.Add(time.Duration(from) * time.Hour)
		return operations.VolumeInput{Geometry: area, BufferM: buffer, FloorM: floor, CeilingM: ceil, Start: s, End: s.Add(time.Duration(hours) * time.Hour)}
	}
	plan := func(name string, kind operations.Kind, vs ...operations.VolumeInput) operations.FileInput {
		return operations.FileInput{Plan: operations.Plan{AgreementID: sc.Agreement.ID, Name: name, Kind: kind, Volumes: vs}}
	}
	out := &Operations{}
	if out.USPatrol, err = ops.File(actors["us"], plan("Air patrol Dar'a (illustrative)", operations.AirPatrol,
		vol(square(35.95, 32.7, 36.3, 32.95), 0, 4500, 7500, 0, 4))); err != nil {
		return nil, fmt.Errorf("demo US patrol: %w", err)
	}
	road := json.RawMessage(`{"type":"LineString","coordinates":[[36.05,32.58],[36.10,32.615],[36.16,32.66]]}`)
	if out.RUPatrol, err = ops.File(actors["ru"], plan("Ground patrol Dar'a – Umm al-Mayadhin road (illustrative)", operations.GroundPatrol,
		vol(road, 300, 0, 50, 1, 3))); err != nil {
		return nil, fmt.Errorf("demo RU patrol: %w", err)
	}
	strike := plan("Strike package, Yarmouk basin (illustrative)", operations.AirStrike, vol(square(35.85, 32.72, 35.97, 32.8), 0, 0, 9000, 2, 1))
	if _, err := ops.File(actors["ru"], strike); truce.ErrorCode(err) != truce.EUNPROCESSABLE {
		return nil, fmt.Errorf("demo RU strike over the US patrol: %v, want it refused", err)
	} else {
		out.Refused = truce.ErrorMessage(err)
	}
	strike.Volumes[0] = vol(square(35.85, 32.72, 35.97, 32.8), 0, 0, 9000, 5, 1) // after the US patrol
	strike.Override = "ISIS (Jaish Khalid ibn al-Walid) positions; ISIS is excluded from the ceasefire of 7 July 2017."
	if out.RUStrike, err = ops.File(actors["ru"], strike); err != nil {
		return nil, fmt.Errorf("demo RU strike: %w", err)
	}
	joint := plan("Joint strike on ISIS positions, Yarmouk basin (illustrative)", operations.AirStrike, vol(square(35.86, 32.7, 35.92, 32.76), 0, 0, 9000, 8, 2))
	joint.Participants, joint.NotifyTo = []string{"ru"}, []string{"jo"}
	joint.Override = strike.Override
	draft, err := ops.File(actors["us"], joint)
	if err != nil {
		return nil, fmt.Errorf("demo joint operation: %w", err)
	}
	if out.Joint, err = ops.Approve(actors["us"], draft.Operation.ID, operations.ApproveInput{Version: draft.Operation.Version}); err != nil {
		return nil, fmt.Errorf("demo joint operation, US approval: %w", err)
	}
	in := operations.ApproveInput{Version: draft.Operation.Version}
	if k := keys["ru"]; k != nil {
		msg, err := note.Sign(&note.Note{Text: operations.ApprovalStatement(out.Joint.Operation)}, k.Signer)
		if err != nil {
			return nil, err
		}
		in.Signature = string(msg)
	}
	if out.Joint, err = ops.Approve(actors["ru"], draft.Operation.ID, in); err != nil {
		return nil, fmt.Errorf("demo joint operation, Russian approval: %w", err)
	}
	return out, nil
}
