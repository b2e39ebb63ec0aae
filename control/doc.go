// Package control is who holds which ground over time, and who answers
// for whom: the actors (armed forces and groups, each perhaps answered
// for by a guarantor party), the control areas (which actor controls
// which polygon from when to when, on what source), the guarantees an
// agreement's signatories give over an area, the breaches of those
// guarantees and the guarantors' signed responses.
//
// It holds, in one place:
//
//   - the records and their checks (control.go);
//   - the control map at a time and its changes between two times, with
//     geodesic areas in km² per actor and contested ground (controlmap.go);
//   - breach detection, a pure function of a control change and the
//     guarantees, over a grid index of the guarantees' boxes (breach.go);
//   - the service (service.go), which writes through package journal:
//     each breach is a journal entry every party sees (its event is the
//     alert), a response is a statement signed with the guarantor
//     party's key, and Escalate marks the unanswered breaches overdue;
//   - the breaches of verified incidents of territory overtaken
//     (incidents.go), and what control reads of ceasefire observation
//     for them (observed.go): the incidents as the journal holds them,
//     read through Observed, a small interface observation's store
//     implements, and which journalled changes wake the check
//     (IncidentWakes). The node only wires them.
//
// Service reads and writes the store through Store and Tx, its own small
// interfaces: internal/sqlstore implements them (Store.Control) and
// storetest runs them on SQLite and PostgreSQL.
package control
