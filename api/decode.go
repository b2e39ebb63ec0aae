package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/truce-project/truce"
)

// decode reads a JSON request body strictly: unknown fields, trailing data,
// wrong types and bodies over the limit are errors that say what is wrong.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return truce.Errorf(truce.EINVALID, "Send the body as application/json, not %q.", ct)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return decodeError(err)
		}
		return truce.Errorf(truce.EINVALID, "The body has data after the JSON value.")
	}
	return nil
}

func decodeError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var tre *truce.Error
	switch {
	case errors.As(err, &tre):
		return tre // the body's reader said what went wrong (a timeout)
	case errors.As(err, &mbe):
		return truce.Errorf(truce.ETOOLARGE, "The body is over the %d-byte limit.", mbe.Limit)
	case errors.Is(err, io.EOF):
		return truce.Errorf(truce.EINVALID, "The body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return truce.Errorf(truce.EINVALID, "The JSON body is truncated.")
	case errors.As(err, &se):
		return truce.Errorf(truce.EINVALID, "Malformed JSON at byte %d: %s.", se.Offset, se.Error())
	case errors.As(err, &te):
		return truce.Errorf(truce.EINVALID, "Field %q must be %s, not %s.", te.Field, te.Type.String(), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return truce.Errorf(truce.EINVALID, "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return truce.Errorf(truce.EINVALID, "Invalid JSON body: %s.", err.Error())
}

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, truce.Errorf(truce.EINVALID, "Query parameter %s must be an integer.", name)
	}
	return n, nil
}

// etag returns the strong entity tag of a record version.
func etag(version int64) string { return fmt.Sprintf(`"v%d"`, version) }

// ifMatch parses If-Match; 0 means absent.
func ifMatch(r *http.Request) (int64, error) {
	v := r.Header.Get("If-Match")
	if v == "" || v == "*" {
		return 0, nil
	}
	v = strings.TrimPrefix(v, "W/")
	if !strings.HasPrefix(v, `"v`) || !strings.HasSuffix(v, `"`) {
		return 0, truce.Errorf(truce.EINVALID, "If-Match must be an entity tag this server gave, like \"v3\".")
	}
	n, err := strconv.ParseInt(v[2:len(v)-1], 10, 64)
	if err != nil || n <= 0 {
		return 0, truce.Errorf(truce.EINVALID, "If-Match must be an entity tag this server gave, like \"v3\".")
	}
	return n, nil
}
