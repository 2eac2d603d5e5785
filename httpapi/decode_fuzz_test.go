package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// requestTypes returns a new value of every request body type.
func requestTypes() []any {
	return []any{
		&promotionRequest{}, &rollbackRequest{}, &variableRequest{}, &descriptionRequest{},
		&secretRequest{}, &secretVersionRequest{}, &versionStatusRequest{},
		&environmentRequest{}, &statusRequest{}, &typeRequest{}, &bomBody{},
	}
}

// FuzzDecodeJSON: every request decoder either accepts a body, and then
// what it decoded survives a round trip, or rejects it with a 400 whose
// message is valid UTF-8; and with every string value of a JSON body
// replaced by a marker, no message quotes a marker.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"dryRun":true,"promoter":"x"}`, `{"dryRun":"yes"}`, `{"valueBase64":"ZGF0YQ==","expressionType":"int"}`,
		`{"encoding":"generic","useInPlaceholders":true,"valueBase64":"c2VjcmV0"}`, `{"status":"DISABLED"}`,
		`{"name":"Env","type":"SANDBOX","region":"EU","license":{"id":"x"},"billOfMaterials":{"products":[{"type":"PING_ONE_BASE"}]}}`,
		`{"products":[{"type":"X","console":{"href":1}}]}`, `{"a":1}{`, `[]`, ``, `{"valueBase64":"\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		marked := markValues(body)
		for _, v := range requestTypes() {
			err := decodeJSON(body, v)
			if err == nil {
				again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
				data, merr := json.Marshal(v)
				if merr != nil {
					t.Fatalf("%T: decoded %q but cannot re-encode: %v", v, body, merr)
				}
				if uerr := decodeJSON(data, again); uerr != nil || !reflect.DeepEqual(v, again) {
					t.Fatalf("%T: %q round-trips to %s (%v)", v, body, data, uerr)
				}
			} else if e, ok := errors.AsType[*apiError](err); !ok || e.status != http.StatusBadRequest || e.message == "" || !utf8.ValidString(e.message) {
				t.Fatalf("%T: %q: error %#v", v, body, err)
			}
			if marked == nil {
				continue
			}
			fresh := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := decodeJSON(marked, fresh); err != nil && strings.Contains(err.Error(), marker) {
				t.Fatalf("%T: message %q quotes a value of %s", v, err, marked)
			}
		}
	})
}

const marker = "MARK3R"

// markValues returns body, if it is JSON, with each string value (not
// key) replaced by a distinct marker; else nil.
func markValues(body []byte) []byte {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	n := 0
	var walk func(any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case string:
			n++
			return marker + strconv.Itoa(n)
		case []any:
			for i, e := range v {
				v[i] = walk(e)
			}
		case map[string]any:
			for k, e := range v {
				v[k] = walk(e)
			}
		}
		return v
	}
	out, err := json.Marshal(walk(v))
	if err != nil {
		return nil
	}
	return out
}
