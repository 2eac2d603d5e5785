package esv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxValueLen is the largest variable or secret value, in bytes.
const MaxValueLen = 65535

// MaxDescriptionLen is the longest description, in bytes.
const MaxDescriptionLen = 1000

// ExpressionType is the type of a variable's value, fixed when the variable
// is created. Its values are the wire names of the AIC API.
type ExpressionType string

// The expression types.
const (
	TypeString       ExpressionType = "string"               // any text
	TypeList         ExpressionType = "list"                 // comma-separated items: a,b,c
	TypeArray        ExpressionType = "array"                // a JSON array
	TypeObject       ExpressionType = "object"               // a JSON object
	TypeBool         ExpressionType = "bool"                 // true or false
	TypeInt          ExpressionType = "int"                  // a decimal 64-bit integer
	TypeNumber       ExpressionType = "number"               // a JSON number
	TypeBase64       ExpressionType = "base64encodedinlined" // standard base64
	TypeKeyValueList ExpressionType = "keyvaluelist"         // comma-separated key=value pairs
)

var expressionTypes = []ExpressionType{TypeString, TypeList, TypeArray, TypeObject, TypeBool, TypeInt, TypeNumber, TypeBase64, TypeKeyValueList}

// Check returns an error wrapping ErrInvalid when value is not valid UTF-8
// text of at most MaxValueLen bytes of type t, or t is not an expression
// type. The error never quotes the value.
func (t ExpressionType) Check(value []byte) error {
	if err := checkSize(value); err != nil {
		return err
	}
	if !utf8.Valid(value) {
		return fmt.Errorf("%w: value is not valid UTF-8", ErrInvalid)
	}
	var ok bool
	switch t {
	case TypeString:
		ok = true
	case TypeList:
		ok = splitItems(value, func(item []byte) bool { return len(item) > 0 })
	case TypeKeyValueList:
		ok = splitItems(value, func(item []byte) bool {
			k, _, found := bytes.Cut(item, []byte{'='})
			return found && len(bytes.TrimSpace(k)) > 0
		})
	case TypeArray, TypeObject:
		open := byte('[')
		if t == TypeObject {
			open = '{'
		}
		v := bytes.TrimSpace(value)
		ok = json.Valid(v) && v[0] == open
	case TypeBool:
		ok = string(value) == "true" || string(value) == "false"
	case TypeInt:
		_, err := strconv.ParseInt(string(value), 10, 64)
		ok = err == nil
	case TypeNumber:
		ok = isJSONNumber(value)
	case TypeBase64:
		_, err := base64.StdEncoding.DecodeString(string(value))
		ok = err == nil && len(value) > 0
	default:
		return fmt.Errorf("%w: expressionType %.40q is unknown (allowed: %s)", ErrInvalid, t, joinQuoted(expressionTypes))
	}
	if !ok {
		return fmt.Errorf("%w: value is not a valid %s (%s)", ErrInvalid, t, typeHints[t])
	}
	return nil
}

var typeHints = map[ExpressionType]string{
	TypeList:         "want comma-separated non-empty items, e.g. a,b,c",
	TypeKeyValueList: "want comma-separated key=value pairs with non-empty keys, e.g. a=1,b=2",
	TypeArray:        `want a JSON array, e.g. ["a","b"]`,
	TypeObject:       `want a JSON object, e.g. {"a":1}`,
	TypeBool:         "want true or false",
	TypeInt:          "want a decimal 64-bit integer, e.g. 42",
	TypeNumber:       "want a JSON number, e.g. 1.5",
	TypeBase64:       "want non-empty standard base64 with padding, e.g. aGk=",
}

// splitItems reports whether value is empty or comma-separated items each
// of which, trimmed of spaces, passes ok.
func splitItems(value []byte, ok func([]byte) bool) bool {
	if len(value) == 0 {
		return true
	}
	for item := range bytes.SplitSeq(value, []byte{','}) {
		if !ok(bytes.TrimSpace(item)) {
			return false
		}
	}
	return true
}

func isJSONNumber(b []byte) bool {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	return len(b) > 0 && (b[0] == '-' || isDigit(b[0])) && isDigit(b[len(b)-1]) && json.Valid(b)
}

func checkSize(value []byte) error {
	if len(value) > MaxValueLen {
		return fmt.Errorf("%w: value is %d bytes, more than %d", ErrInvalid, len(value), MaxValueLen)
	}
	return nil
}

// Encoding says what a secret's value is. Its values are the wire names of
// the AIC API.
type Encoding string

// The secret encodings.
const (
	EncodingGeneric    Encoding = "generic"    // any non-empty bytes
	EncodingPEM        Encoding = "pem"        // one or more PEM blocks
	EncodingBase64HMAC Encoding = "base64hmac" // a base64-encoded HMAC key
	EncodingBase64AES  Encoding = "base64aes"  // a base64-encoded 128, 192 or 256-bit AES key
)

var encodings = []Encoding{EncodingGeneric, EncodingPEM, EncodingBase64HMAC, EncodingBase64AES}

// Check returns an error wrapping ErrInvalid when value is empty, longer than
// MaxValueLen, or not of encoding e, or e is not an encoding. The error never
// quotes the value.
func (e Encoding) Check(value []byte) error {
	if err := checkSize(value); err != nil {
		return err
	}
	if len(value) == 0 {
		return fmt.Errorf("%w: secret value is empty", ErrInvalid)
	}
	var why string
	switch e {
	case EncodingGeneric:
	case EncodingPEM:
		if b, _ := pem.Decode(value); b == nil {
			why = "no PEM block (-----BEGIN …-----) found"
		}
	case EncodingBase64HMAC, EncodingBase64AES:
		key, err := base64.StdEncoding.DecodeString(string(value))
		switch n := len(key); {
		case err != nil || n == 0:
			why = "not non-empty standard base64"
		case e == EncodingBase64AES && n != 16 && n != 24 && n != 32:
			why = fmt.Sprintf("decodes to %d bytes; an AES key is 16, 24 or 32", n)
		}
	default:
		return fmt.Errorf("%w: encoding %.40q is unknown (allowed: %s)", ErrInvalid, e, joinQuoted(encodings))
	}
	if why != "" {
		return fmt.Errorf("%w: secret value is not valid for encoding %s: %s", ErrInvalid, e, why)
	}
	return nil
}

// VersionStatus says whether a secret version may be loaded.
type VersionStatus string

// The secret version statuses.
const (
	Enabled  VersionStatus = "ENABLED"
	Disabled VersionStatus = "DISABLED"
)

// RestartStatus is an environment's restart state as the AIC startup
// endpoint reports it.
type RestartStatus string

// The restart statuses.
const (
	Restarting RestartStatus = "restarting"
	Ready      RestartStatus = "ready"
)

func checkDescription(d string) error {
	if len(d) > MaxDescriptionLen {
		return fmt.Errorf("%w: description is %d bytes, more than %d", ErrInvalid, len(d), MaxDescriptionLen)
	}
	if !utf8.ValidString(d) {
		return fmt.Errorf("%w: description is not valid UTF-8", ErrInvalid)
	}
	return nil
}

func joinQuoted[T ~string](vals []T) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(string(v))
	}
	return strings.Join(q, ", ")
}
