package api

import (
	"net/http"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
)

// RegisterOperations mounts the joint operations API (package
// operations): filing, a dry-run check, approval, amendment, status, and
// the conflicts.
func RegisterOperations(s *Server, svc *operations.Service) {
	h := &operationHandlers{s: s, svc: svc}
	for _, rt := range []Route{
		{Method: "GET", Pattern: "/api/v1/operations", Handler: h.list},
		{Method: "POST", Pattern: "/api/v1/operations", Handler: h.file},
		{Method: "POST", Pattern: "/api/v1/operations/check", Handler: h.check},
		{Method: "GET", Pattern: "/api/v1/operations/{id}", Handler: h.get},
		{Method: "POST", Pattern: "/api/v1/operations/{id}/approve", Handler: h.approve},
		{Method: "POST", Pattern: "/api/v1/operations/{id}/amend", Handler: h.amend},
		{Method: "POST", Pattern: "/api/v1/operations/{id}/status", Handler: h.status},
		{Method: "GET", Pattern: "/api/v1/operations/{id}/conflicts", Handler: h.conflicts},
		{Method: "GET", Pattern: "/api/v1/operation-conflicts", Handler: h.allConflicts},
	} {
		s.Handle(rt)
	}
}

// OperationAmend is the body of POST /operations/{id}/amend: the version
// amended and the new plan.
type OperationAmend struct {
	Version int64 `json:"version" required:"true"`
	operations.FileInput
}

// OperationStatus is the body of POST /operations/{id}/status.
type OperationStatus struct {
	Status operations.Status `json:"status" required:"true"`
}

type operationHandlers struct {
	s   *Server
	svc *operations.Service
}

func (h *operationHandlers) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		h.s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

func (h *operationHandlers) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := operations.Filter{Status: operations.Status(q.Get("status")), Party: q.Get("party")}
	if q.Get("at") != "" {
		at, err := timeParam(r, "at")
		if err != nil {
			h.s.writeError(w, r, err)
			return
		}
		f.At = &at
	}
	os, err := h.svc.Operations(r.Context(), f)
	h.reply(w, r, http.StatusOK, Page[*operations.Operation]{Items: nonNil(os)}, err)
}

func (h *operationHandlers) file(w http.ResponseWriter, r *http.Request) {
	var in operations.FileInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	res, err := h.svc.File(r.Context(), in)
	h.reply(w, r, http.StatusCreated, res, err)
}

func (h *operationHandlers) check(w http.ResponseWriter, r *http.Request) {
	var in operations.Plan
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	cs, err := h.svc.Check(r.Context(), in)
	h.reply(w, r, http.StatusOK, Page[*operations.Conflict]{Items: nonNil(cs)}, err)
}

func (h *operationHandlers) get(w http.ResponseWriter, r *http.Request) {
	o, err := h.svc.Operation(r.Context(), r.PathValue("id"))
	h.reply(w, r, http.StatusOK, o, err)
}

func (h *operationHandlers) approve(w http.ResponseWriter, r *http.Request) {
	var in operations.ApproveInput
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	res, err := h.svc.Approve(r.Context(), r.PathValue("id"), in)
	h.reply(w, r, http.StatusOK, res, err)
}

func (h *operationHandlers) amend(w http.ResponseWriter, r *http.Request) {
	var in OperationAmend
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	res, err := h.svc.Amend(r.Context(), r.PathValue("id"), in.Version, in.FileInput)
	h.reply(w, r, http.StatusOK, res, err)
}

func (h *operationHandlers) status(w http.ResponseWriter, r *http.Request) {
	var in OperationStatus
	if err := decode(r, &in); err != nil {
		h.s.writeError(w, r, err)
		return
	}
	switch in.Status {
	case operations.Active, operations.Completed, operations.Cancelled:
	default:
		h.s.writeError(w, r, truce.Errorf(truce.EINVALID, "status is active, completed or cancelled."))
		return
	}
	o, err := h.svc.Move(r.Context(), r.PathValue("id"), in.Status)
	h.reply(w, r, http.StatusOK, o, err)
}

func (h *operationHandlers) conflicts(w http.ResponseWriter, r *http.Request) {
	cs, err := h.svc.Conflicts(r.Context(), r.PathValue("id"))
	h.reply(w, r, http.StatusOK, Page[*operations.Conflict]{Items: nonNil(cs)}, err)
}

func (h *operationHandlers) allConflicts(w http.ResponseWriter, r *http.Request) {
	cs, err := h.svc.Conflicts(r.Context(), "")
	h.reply(w, r, http.StatusOK, Page[*operations.Conflict]{Items: nonNil(cs)}, err)
}
