package tenantgen

import "strconv"

// obj is a JSON object that keeps its keys in insertion order, as the
// exports fr-config-pull writes do. Building files as small trees (rather
// than text) lets missing-ESV and $crypto sites be added after the fact;
// encoding them by hand keeps Large fast and byte-stable.
type obj []field

type field struct {
	k string
	v any // string, int, bool, nil, obj, *obj, arr
}

type arr []any

// has reports whether o has key k.
func (o obj) has(k string) bool {
	for _, f := range o {
		if f.k == k {
			return true
		}
	}
	return false
}

// appendJSON appends v as JSON indented by two spaces with a final newline,
// the shape of fr-config-pull's saveJsonToFile.
func appendJSON(b []byte, v any) []byte {
	return append(appendValue(b, v, 0), '\n')
}

// arena carves file contents out of large chunks, so a tenant's thousands
// of files cost a few allocations; that keeps Large fast to generate.
type arena struct{ buf []byte }

const chunkSize, minFree = 4 << 20, 64 << 10

// start returns an empty slice to append one file's bytes to.
func (a *arena) start() []byte {
	if cap(a.buf)-len(a.buf) < minFree {
		a.buf = make([]byte, 0, chunkSize)
	}
	return a.buf[len(a.buf):len(a.buf)]
}

// done takes the file begun with start and returns it clipped to its
// length, so appending to one file can never overwrite the next.
func (a *arena) done(b []byte) []byte {
	free := a.buf[len(a.buf):cap(a.buf)]
	if len(b) > 0 && &b[0] == &free[0] { // still in the chunk: claim its bytes
		a.buf = a.buf[:len(a.buf)+len(b)]
	}
	return b[:len(b):len(b)]
}

func appendValue(b []byte, v any, depth int) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case bool:
		return strconv.AppendBool(b, v)
	case *obj:
		return appendValue(b, *v, depth)
	case obj:
		if len(v) == 0 {
			return append(b, "{}"...)
		}
		b = append(b, '{')
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = newline(b, depth+1)
			b = appendString(b, f.k)
			b = append(b, ": "...)
			b = appendValue(b, f.v, depth+1)
		}
		return append(newline(b, depth), '}')
	case arr:
		if len(v) == 0 {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = newline(b, depth+1)
			b = appendValue(b, e, depth+1)
		}
		return append(newline(b, depth), ']')
	}
	panic("tenantgen: unsupported JSON value") // only this package builds values
}

func newline(b []byte, depth int) []byte {
	b = append(b, '\n')
	for range depth {
		b = append(b, ' ', ' ')
	}
	return b
}

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
