package gitstore

import (
	"bytes"
	"compress/zlib"
	"fmt"
	stdadler32 "hash/adler32"
	"io"
	"math/rand/v2"
	"testing"
)

// inflateInputs are contents of the shapes deflate codes differently:
// nothing, incompressible bytes (stored blocks), short text (fixed codes),
// long repetitive text (dynamic codes, overlapping and distant matches).
func inflateInputs() map[string][]byte {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100_000)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	var json bytes.Buffer
	for i := range 3000 {
		fmt.Fprintf(&json, `{"_id": "script-%d", "name": "node %d", "enabled": %t, "weight": %d}`+"\n", i, rnd.IntN(50), i%3 == 0, rnd.IntN(1<<20))
	}
	return map[string][]byte{
		"empty":  {},
		"byte":   {'x'},
		"text":   []byte("the quick brown fox jumps over the lazy dog"),
		"run":    bytes.Repeat([]byte{'a'}, 70_000),
		"period": bytes.Repeat([]byte("abc"), 30_000),
		"random": random,
		"json":   json.Bytes(),
		// Skewed byte frequencies make Huffman codes longer than the
		// root table, which are decoded through subtables.
		"skewed": skewed(rnd),
	}
}

func skewed(rnd *rand.Rand) []byte {
	out := make([]byte, 200_000)
	for i := range out {
		b := 0
		for b < 255 && rnd.IntN(3) > 0 {
			b++
		}
		out[i] = byte(b)
	}
	return out
}

func deflate(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	zw, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

func TestInflate_ReadsWhatCompressZlibWrites(t *testing.T) {
	for name, data := range inflateInputs() {
		for _, level := range []int{zlib.NoCompression, zlib.BestSpeed, zlib.DefaultCompression, zlib.BestCompression, zlib.HuffmanOnly} {
			t.Run(fmt.Sprintf("%s/level=%d", name, level), func(t *testing.T) {
				z := deflate(t, data, level)
				got, err := inflate(z, len(data))
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("inflate: %d bytes, %v; want the %d written", len(got), err, len(data))
				}
				// A loose object's size is not known in advance: the
				// buffer grows.
				got, err = decodeZlib(nil, z, len(data))
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("zinflate growing: %d bytes, %v; want the %d written", len(got), err, len(data))
				}
			})
		}
	}
}

func TestInflate_Adler32IsHashAdler32(t *testing.T) {
	data := inflateInputs()["random"]
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 5551, 5552, 5553, 20_000, len(data)} {
		if got, want := adler32(data[:n]), stdadler32.Checksum(data[:n]); got != want {
			t.Errorf("%d bytes: %08x, want %08x", n, got, want)
		}
	}
	ff := bytes.Repeat([]byte{0xff}, 100_000) // the largest sums
	if got, want := adler32(ff), stdadler32.Checksum(ff); got != want {
		t.Errorf("0xff bytes: %08x, want %08x", got, want)
	}
}

func TestInflate_RejectsDamagedStreams(t *testing.T) {
	data := inflateInputs()["json"]
	z := deflate(t, data, zlib.DefaultCompression)
	flip := func(i int) []byte { d := bytes.Clone(z); d[i] ^= 0x10; return d }
	for _, tc := range []struct {
		name string
		src  []byte
		size int
	}{
		{"truncated", z[:len(z)/2], len(data)},
		{"no checksum", z[:len(z)-4], len(data)},
		{"checksum", flip(len(z) - 1), len(data)},
		{"header", flip(0), len(data)},
		{"body", flip(len(z) / 3), len(data)},
		{"larger than its header says", z, len(data) - 1},
		{"smaller than its header says", z, len(data) + 1},
		{"empty", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := inflate(tc.src, tc.size); err == nil {
				t.Fatalf("inflated %d bytes, want an error", len(got))
			}
		})
	}
}

// The decoder agrees with compress/zlib on any input: the same bytes when
// both accept it, an error from both otherwise; never a panic.
func FuzzInflate(f *testing.F) {
	for _, data := range inflateInputs() {
		if len(data) < 1000 {
			for _, level := range []int{zlib.NoCompression, zlib.BestSpeed, zlib.BestCompression, zlib.HuffmanOnly} {
				f.Add(deflate(f, data, level))
			}
		}
	}
	f.Add(deflate(f, inflateInputs()["json"][:5000], zlib.BestCompression))
	f.Fuzz(func(t *testing.T, src []byte) {
		zr, err := zlib.NewReader(bytes.NewReader(src))
		var want []byte
		if err == nil {
			want, err = io.ReadAll(io.LimitReader(zr, 1<<20))
		}
		if len(want) == 1<<20 {
			return // past the limit: zinflate refuses what zlib was cut off at
		}
		got, gerr := decodeZlib(nil, src, 1<<20)
		switch {
		case err == nil && (gerr != nil || !bytes.Equal(got, want)):
			t.Fatalf("compress/zlib reads %d bytes; zinflate %d, %v", len(want), len(got), gerr)
		case err != nil && gerr == nil:
			t.Fatalf("compress/zlib fails (%v); zinflate reads %d bytes", err, len(got))
		}
	})
}

// BenchmarkInflate inflates objects of the shape of a tenant's files
// (JSON of a few KB each, compressed at gitstore's first-commit level).
// Peer: compress/zlib with a reused reader, in the same run.
func BenchmarkInflate(b *testing.B) {
	json := inflateInputs()["json"]
	var objs [][]byte
	for i := 0; i+3000 <= len(json); i += 3000 {
		objs = append(objs, deflate(b, json[i:i+3000], zlib.BestSpeed))
	}
	b.Run("impl=gitstore", func(b *testing.B) {
		b.SetBytes(int64(3000 * len(objs)))
		for b.Loop() {
			for _, z := range objs {
				if _, err := inflate(z, 3000); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("impl=compress-zlib", func(b *testing.B) {
		b.SetBytes(int64(3000 * len(objs)))
		var zr io.ReadCloser
		for b.Loop() {
			for _, z := range objs {
				var err error
				if zr == nil {
					zr, err = zlib.NewReader(bytes.NewReader(z))
				} else {
					err = zr.(zlib.Resetter).Reset(bytes.NewReader(z), nil)
				}
				if err == nil {
					_, err = io.ReadFull(zr, make([]byte, 3000))
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
