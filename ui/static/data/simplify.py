# One-off: Douglas-Peucker simplification and coordinate rounding of the
# base-map layers embedded in ui/static/data (see ui/static/data/README.md).
import json, sys
def dp(pts, tol):
    if len(pts) < 3: return pts
    a, b = pts[0], pts[-1]
    dx, dy = b[0]-a[0], b[1]-a[1]
    n2 = dx*dx+dy*dy
    best, bi = -1, 0
    for i in range(1, len(pts)-1):
        p = pts[i]
        if n2 == 0: d = ((p[0]-a[0])**2+(p[1]-a[1])**2)**.5
        else: d = abs(dy*p[0]-dx*p[1]+b[0]*a[1]-b[1]*a[0])/n2**.5
        if d > best: best, bi = d, i
    if best <= tol: return [a, b]
    return dp(pts[:bi+1], tol)[:-1] + dp(pts[bi:], tol)
def ring(r, tol, nd):
    s = dp(r, tol)
    if len(s) < 4: s = r[:: max(1, len(r)//4)] + [r[0]] if len(r) >= 4 else r
    out = []
    for p in s:
        q = [round(p[0], nd), round(p[1], nd)]
        if not out or out[-1] != q: out.append(q)
    if out[0] != out[-1]: out.append(out[0])
    return out if len(out) >= 4 else None
def geom(g, tol, nd):
    t = g['type']
    if t == 'Polygon':
        rs = [x for x in (ring(r, tol, nd) for r in g['coordinates']) if x]
        return {'type': t, 'coordinates': rs}
    if t == 'MultiPolygon':
        ps = []
        for p in g['coordinates']:
            rs = [x for x in (ring(r, tol, nd) for r in p) if x]
            if rs: ps.append(rs)
        return {'type': t, 'coordinates': ps}
    if t == 'Point':
        return {'type': t, 'coordinates': [round(c, nd) for c in g['coordinates']]}
    raise SystemExit('unsupported ' + t)
src, dst, tol, nd, keep = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split(',')
d = json.load(open(src))
fs = []
for f in d['features']:
    props = {k.lower(): f['properties'][k] for k in keep if k in f['properties']}
    fs.append({'type': 'Feature', 'properties': props, 'geometry': geom(f['geometry'], tol, nd)})
json.dump({'type': 'FeatureCollection', 'features': fs}, open(dst, 'w'), ensure_ascii=False, separators=(',', ':'))
