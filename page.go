package truce

import (
	"strings"

	"github.com/google/uuid"
)

// NewID returns a new record id, a UUIDv7: time-ordered, so cursors that
// page by id page by creation time. Every capability's records take
// their ids from it.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// PageLimit is a page's size: 100 unless 1 to 500 is asked for. Every
// list the services serve pages by it.
func PageLimit(n int) int {
	if n <= 0 || n > 500 {
		return 100
	}
	return n
}

// PageCursor cuts items, read one past a page of limit (PageLimit) so
// that a next page is known to exist, to the page, and returns the
// cursor of the next page: the id of the page's last item, or "" when
// items was the last page.
func PageCursor[T any](items []T, limit int, id func(T) string) ([]T, string) {
	limit = PageLimit(limit)
	if len(items) > limit {
		return items[:limit], id(items[limit-1])
	}
	return items, ""
}

// Clean returns free text as a record keeps it: without leading and
// trailing white space.
func Clean(s string) string { return strings.TrimSpace(s) }
