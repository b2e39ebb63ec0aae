package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/truce-project/truce"
)

// decode reads a JSON request body strictly: a media type other than
// application/json, invalid UTF-8, duplicate member names (RFC 8259 leaves
// their meaning open; RFC 7493 I-JSON forbids them), unknown fields (also
// in another letter case), trailing data, wrong types, bodies over the limit
// and required fields that are absent or null are errors that say what is
// wrong.
//
// A field is required when its struct tag says required:"true": absent is
// then not the zero value (an absent "approve" is not a rejection).
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return truce.Errorf(truce.EINVALID, "Send the body as application/json, not %q.", ct)
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return truce.Errorf(truce.EINVALID, "Send the body in UTF-8, not %q.", cs)
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return decodeError(err)
	}
	return decodeBytes(body, v)
}

// decodeBytes is decode's work on a body already read.
func decodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return truce.Errorf(truce.EINVALID, "The body is empty; send a JSON object.")
	}
	// jsontext checks the syntax with duplicate names and invalid UTF-8
	// refused (its defaults), and finds trailing data.
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	val, err := dec.ReadValue()
	if err != nil {
		return syntaxError(err)
	}
	val = val.Clone() // ReadValue's result lasts until the next read
	if _, err := dec.ReadValue(); err != io.EOF {
		if err != nil {
			return syntaxError(err)
		}
		return truce.Errorf(truce.EINVALID, "The body has data after the JSON value.")
	}
	if fs := fieldsOf(reflect.TypeOf(v)); fs != nil {
		if val.Kind() != '{' {
			return truce.Errorf(truce.EINVALID, "The body must be a JSON object, not %s.", kindName(val.Kind()))
		}
		if err := checkMembers(val, fs); err != nil {
			return err
		}
	}
	jd := json.NewDecoder(bytes.NewReader(val))
	jd.DisallowUnknownFields()
	if err := jd.Decode(v); err != nil {
		return decodeError(err)
	}
	return nil
}

// structFields are the JSON member names of a struct type and which are
// required.
type structFields struct {
	names    map[string]bool // name -> required
	required []string        // in field order
}

var fieldCache sync.Map // reflect.Type -> *structFields

// fieldsOf returns the members of the struct t points to, or nil if t is
// not a pointer to a struct.
func fieldsOf(t reflect.Type) *structFields {
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	t = t.Elem()
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*structFields)
	}
	fs := &structFields{names: map[string]bool{}}
	addFields(t, fs)
	fieldCache.Store(t, fs)
	return fs
}

func addFields(t reflect.Type, fs *structFields) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(ft, fs)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		req := f.Tag.Get("required") == "true"
		fs.names[name] = req
		if req {
			fs.required = append(fs.required, name)
		}
	}
}

// checkMembers refuses members that are not exactly a field's name
// (encoding/json would match "Approve" to "approve") and required fields
// that are absent or null.
func checkMembers(obj jsontext.Value, fs *structFields) error {
	dec := jsontext.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.ReadToken(); err != nil { // '{'
		return syntaxError(err)
	}
	present := map[string]bool{}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return syntaxError(err)
		}
		name := tok.String()
		if _, ok := fs.names[name]; !ok {
			return truce.Errorf(truce.EINVALID, "Unknown field %q.", name)
		}
		val, err := dec.ReadValue()
		if err != nil {
			return syntaxError(err)
		}
		present[name] = val.Kind() != 'n'
	}
	for _, name := range fs.required {
		if !present[name] {
			return truce.Errorf(truce.EINVALID, "Field %q is required.", name)
		}
	}
	return nil
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '[':
		return "an array"
	}
	return "an object"
}

func syntaxError(err error) error {
	var se *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return truce.Errorf(truce.EINVALID, "The JSON body is truncated.")
	case errors.Is(err, jsontext.ErrDuplicateName) && errors.As(err, &se):
		return truce.Errorf(truce.EINVALID, "Duplicate field %q at %s.", se.JSONPointer.LastToken(), pointerOrRoot(se.JSONPointer.Parent()))
	case errors.As(err, &se):
		msg := strings.TrimPrefix(se.Err.Error(), "jsontext: ")
		return truce.Errorf(truce.EINVALID, "Malformed JSON at byte %d: %s.", se.ByteOffset, msg)
	}
	return truce.Errorf(truce.EINVALID, "Malformed JSON body.")
}

func pointerOrRoot(p jsontext.Pointer) string {
	if p == "" {
		return "the top level"
	}
	return string(p)
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
	var e *truce.Error
	if errors.As(err, &e) {
		return e
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
