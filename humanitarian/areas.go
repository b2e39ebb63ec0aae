package humanitarian

import (
	"fmt"
	"sort"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce/geo"
)

// AdminAreas finds the OCHA P-codes of the admin areas a site lies in,
// from a FeatureCollection of COD-AB districts (admin level 2) whose
// features carry a "pcode" property: the district's P-code, whose first
// four characters are its governorate's (OCHA P-codes are hierarchical:
// SY12 is Dar'a, SY1200 its district of Dar'a).
type AdminAreas struct {
	areas []area
}

type area struct {
	pcode string
	bound orb.Bound
	p     *geo.Prepared
}

// LoadAdminAreas reads the districts of a GeoJSON FeatureCollection (the
// base map's, ui.BaseMapData("syria-districts.geojson")).
func LoadAdminAreas(geojson []byte) (*AdminAreas, error) {
	fs, err := geo.DecodeFeatures(geojson, geo.Options{Repair: true, SkipTopology: true})
	if err != nil {
		return nil, err
	}
	a := &AdminAreas{}
	for i, f := range fs {
		pc, _ := f.Properties["pcode"].(string)
		if pc == "" {
			return nil, fmt.Errorf("admin areas: feature %d has no pcode", i)
		}
		p, err := geo.Prepare(f.Geometry)
		if err != nil {
			return nil, fmt.Errorf("admin areas: %s: %w", pc, err)
		}
		a.areas = append(a.areas, area{pc, f.Geometry.Bound(), p})
	}
	return a, nil
}

// PCodes returns the P-codes of the governorates and districts g meets,
// sorted; none when g lies outside every area (or a is nil).
func (a *AdminAreas) PCodes(g orb.Geometry) []string {
	if a == nil {
		return []string{}
	}
	b := g.Bound()
	set := map[string]bool{}
	for _, x := range a.areas {
		if !x.bound.Intersects(b) || !x.p.Intersects(g) {
			continue
		}
		set[x.pcode] = true
		if len(x.pcode) > 4 {
			set[x.pcode[:4]] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
