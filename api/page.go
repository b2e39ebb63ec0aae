package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/truce-project/truce"
)

// pageOf serves, as a page, a list the service returns whole (the live
// track picture, a party's registry, a zone's history): limit and cursor
// are honoured as on every other list. The cursor is the key of the last
// item of the previous page. When ordered is false the list's order does
// not matter and it is sorted by key, so a cursor holds however the list
// changes between pages; when true the service's order is kept and the
// page starts after the item whose key is the cursor. Without a limit the
// whole list is served, as before.
func pageOf[T any](r *http.Request, items []T, key func(T) string, ordered bool) (Page[T], error) {
	lim, err := limitParam(r)
	if err != nil {
		return Page[T]{}, err
	}
	cursor := r.URL.Query().Get("cursor")
	if !ordered {
		slices.SortStableFunc(items, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	}
	if cursor != "" {
		var i int
		if ordered {
			i = slices.IndexFunc(items, func(x T) bool { return key(x) == cursor })
			if i < 0 {
				return Page[T]{}, truce.Errorf(truce.EINVALID, "Unknown cursor %q: the list has changed; start again without one.", cursor)
			}
			i++
		} else {
			i, _ = slices.BinarySearchFunc(items, cursor, func(x T, c string) int {
				if key(x) <= c {
					return -1
				}
				return 1
			})
		}
		items = items[i:]
	}
	var next string
	if lim > 0 && len(items) > lim {
		items, next = items[:lim], key(items[lim-1])
	}
	return Page[T]{Items: nonNil(items), NextCursor: next}, nil
}

func limitParam(r *http.Request) (int, error) {
	n, err := queryInt(r, "limit", 0)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 500 {
		return 0, truce.Errorf(truce.EINVALID, "limit is 1 to 500.")
	}
	return int(n), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
