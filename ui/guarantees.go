package ui

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/truce-project/truce/control"
)

// maxGuaranteesShown bounds the guarantees the page lists, newest first
// (the API lists them all).
const maxGuaranteesShown = 200

// guaranteeView is one guarantee as the guarantees page shows it: who
// answers for it, whom it allows, and its breaches with their responses.
type guaranteeView struct {
	*control.Guarantee
	Guarantors []link
	Allowed    []link
	Hours      string
	Breaches   []breachRow
}

// link is a named page.
type link struct{ Href, Name string }

// guarantees lists the guarantees with their breaches and responses.
func (c *controlPages) guarantees(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	gs, err := c.svc.Guarantees(ctx)
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	bs, err := c.svc.Breaches(ctx, false)
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	actors, err := c.svc.Actors(ctx)
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	lang := c.u.cat.choose(r)
	actorByID := map[string]*control.Actor{}
	for _, a := range actors {
		actorByID[a.ID] = a
	}
	parties := map[string]link{}
	party := func(id string) link {
		if l, ok := parties[id]; ok {
			return l
		}
		l := link{Name: id}
		if p, err := c.u.svc.Parties.FindParty(ctx, id); err == nil {
			l = link{Href: "/guarantors/" + p.Slug, Name: p.Name}
		}
		parties[id] = l
		return l
	}
	byGuarantee := map[string][]*control.Breach{}
	for _, b := range bs {
		byGuarantee[b.GuaranteeID] = append(byGuarantee[b.GuaranteeID], b)
	}
	slices.Reverse(gs)
	truncated := len(gs) > maxGuaranteesShown
	gs = gs[:min(len(gs), maxGuaranteesShown)]
	views := make([]guaranteeView, 0, len(gs))
	for _, g := range gs {
		v := guaranteeView{Guarantee: g, Hours: fmt.Sprintf("%.0f", time.Duration(g.ResponseWithin).Hours())}
		for _, id := range g.Guarantors {
			v.Guarantors = append(v.Guarantors, party(id))
		}
		for _, id := range g.Allowed {
			l := link{Name: id}
			if a, ok := actorByID[id]; ok {
				l = link{Href: "/actors/" + a.Slug, Name: a.Name(lang)}
			}
			v.Allowed = append(v.Allowed, l)
		}
		for _, b := range byGuarantee[g.ID] {
			row := breachRow{Breach: b, Actor: b.Attribution}
			if a, ok := actorByID[b.ActorID]; ok {
				row.Actor = a.Name(lang)
			}
			if b.Response != nil {
				row.Action = b.Response.Action
				row.Hours = fmt.Sprintf("%.1f", b.Response.At.Sub(b.DetectedAt).Hours())
			}
			v.Breaches = append(v.Breaches, row)
		}
		views = append(views, v)
	}
	c.u.render(w, r, http.StatusOK, "guarantees", map[string]any{"Guarantees": views, "Truncated": truncated, "Shown": maxGuaranteesShown})
}
