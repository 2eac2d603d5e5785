package httpapi

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// decodeBody reads the JSON object in r's body into v, a pointer to a
// request struct, strictly: at most limit bytes, exactly one object, no
// unknown fields, every value of its field's type. The error is a 400 (413
// for an oversized body) whose message names the offending field and never
// quotes a value, since bodies carry secrets.
//
// A body declared as anything but JSON (Content-Type other than
// application/json or …+json) is a 415; a body without a Content-Type is
// read as JSON, as the AIC and PingOne clients' bodies all are.
func decodeBody(r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return &apiError{status: http.StatusUnsupportedMediaType, code: "INVALID_DATA", message: "the request body must be JSON: send Content-Type: application/json"}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return &apiError{status: http.StatusRequestEntityTooLarge, code: "INVALID_DATA", message: fmt.Sprintf("request body is larger than %d bytes", limit)}
		}
		return badRequest("request body could not be read")
	}
	return decodeJSON(body, v)
}

// decodeJSON is decodeBody's parser, separate so that it can be fuzzed.
func decodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return badRequest("request body is required: a JSON object with fields %s", fieldList(reflect.TypeOf(v)))
	}
	if trimmed[0] != '{' {
		return badRequest("request body must be a JSON object with fields %s", fieldList(reflect.TypeOf(v)))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, body, v)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("request body has data after the JSON object")
	}
	return nil
}

// decodeError turns an encoding/json error into a message naming the field.
func decodeError(err error, body []byte, v any) *apiError {
	if e, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := jsonPath(e.Field)
		bad := badRequest("field %q must be %s, not %s", field, jsonKind(e.Type), e.Value)
		bad.target = field
		return bad
	}
	if e, ok := errors.AsType[*json.SyntaxError](err); ok {
		// The syntax error's own text may quote a byte of a secret.
		return badRequest("request body is not valid JSON (syntax error at byte %d)", e.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return badRequest("request body is not valid JSON (it ends early)")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		path, allowed := name, fieldList(reflect.TypeOf(v))
		if p, a, ok := unknownField(body, reflect.TypeOf(v), ""); ok {
			path, allowed = strconv.Quote(p), a
		}
		bad := badRequest("unknown field %s (allowed: %s)", path, allowed)
		bad.target = strings.Trim(path, `"`)
		return bad
	}
	if e, ok := errors.AsType[fieldError](err); ok {
		return badRequest("%s", e)
	}
	return badRequest("request body is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// missingField is the error for a required field that is absent or null.
func missingField(name string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "INVALID_DATA", detailCode: "REQUIRED_VALUE", target: name, message: fmt.Sprintf("field %q is required", name)}
}

// fieldError is returned by the UnmarshalJSON methods of request types; its
// text names the field and never the value.
type fieldError string

func (e fieldError) Error() string { return string(e) }

// jsonPath drops the Go type names encoding/json puts in a field path for
// embedded structs ("Environment.name"); every JSON name of the request
// types starts with a lower-case letter or '_'.
func jsonPath(field string) string {
	var out []string
	for seg := range strings.SplitSeq(field, ".") {
		if seg != "" && (seg[0] < 'A' || seg[0] > 'Z') {
			out = append(out, seg)
		}
	}
	return strings.Join(out, ".")
}

// jsonKind names a Go type the way a JSON author thinks of it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "an object"
	}
}

// fieldList names the JSON fields of struct type t (through pointers and
// embedded structs), for messages.
func fieldList(t reflect.Type) string {
	var names []string
	for _, f := range jsonFields(t) {
		names = append(names, f.name)
	}
	return strings.Join(names, ", ")
}

type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the JSON fields of struct type t, those of embedded
// structs in their place.
func jsonFields(t reflect.Type) []jsonField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []jsonField
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case name == "" && f.Anonymous:
			out = append(out, jsonFields(f.Type)...)
		default:
			out = append(out, jsonField{cmp.Or(name, f.Name), f.Type})
		}
	}
	return out
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// unknownField finds in body a key that type t (at path) does not
// declare, and returns its path ("billOfMaterials.products[0].color") and
// the fields allowed beside it. encoding/json names only the key.
func unknownField(body []byte, t reflect.Type, path string) (string, string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		return "", "", false
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(body, &items) != nil {
			return "", "", false
		}
		for i, item := range items {
			if p, a, ok := unknownField(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, a, true
			}
		}
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return "", "", false
		}
		fields := jsonFields(t)
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			sub := strings.TrimPrefix(path+"."+key, ".")
			i := slices.IndexFunc(fields, func(f jsonField) bool { return strings.EqualFold(f.name, key) })
			if i < 0 {
				return sub, fieldList(t), true
			}
			if p, a, ok := unknownField(obj[key], fields[i].typ, sub); ok {
				return p, a, true
			}
		}
	}
	return "", "", false
}

// base64Value is a request field holding standard base64 (the spec's
// valueBase64); it decodes while the body is parsed.
type base64Value []byte

func (b *base64Value) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fieldError(`field "valueBase64" must be a string of standard base64`)
	}
	v, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return fieldError(`field "valueBase64" is not valid standard base64 (RFC 4648, with padding)`)
	}
	*b = v
	return nil
}
