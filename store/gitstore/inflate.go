package gitstore

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
	"sync"
)

// This file is a zlib decoder (RFC 1950, 1951) for Git objects, whose
// compressed bytes are all in memory and whose size is known (a pack
// entry's header gives it). Inflating is most of the cost of reading a
// repository. compress/flate, built for streams, reads its input a byte at
// a time through an interface and copies its output through a window; this
// decoder refills a 64-bit buffer eight bytes at a time, decodes a symbol
// with one table lookup (two for codes longer than the root table), and
// writes straight into the object's buffer (BenchmarkInflate).

var (
	errZlibHeader  = errors.New("zlib: invalid header")
	errZlibCorrupt = errors.New("zlib: corrupt deflate data")
	errZlibSize    = errors.New("zlib: data does not inflate to the size the object's header gives")
	errZlibSum     = errors.New("zlib: checksum mismatch")
)

// A decoding table entry: bits 0–7 the code length to consume (0: no such
// code), bits 8–12 the extra bits that follow (a length or distance) or a
// subtable's index bits, bits 13–15 the kind, bits 16–31 the value (a
// literal byte, a length or distance base, a subtable's start, or a
// code-length symbol).
const (
	kindLit = iota
	kindLen
	kindEnd
	kindSub
)

const (
	litRoot  = 9 // index bits of the literal/length root table
	distRoot = 7
	clRoot   = 7 // code-length codes are at most 7 bits long
)

var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}

	distBase  = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

func litEntry(sym int) uint32 {
	switch {
	case sym < 256:
		return kindLit<<13 | uint32(sym)<<16
	case sym == 256:
		return kindEnd << 13
	case sym < 286:
		return kindLen<<13 | uint32(lenExtra[sym-257])<<8 | uint32(lenBase[sym-257])<<16
	}
	return badSym // 286 and 287 take code space in the fixed code
}

func distEntry(sym int) uint32 {
	if sym >= 30 {
		return badSym // 30 and 31 take code space in the fixed code
	}
	return uint32(distExtra[sym])<<8 | uint32(distBase[sym])<<16
}

func clEntry(sym int) uint32 { return uint32(sym) << 16 }

// badSym is the entry of a symbol that has a code but no meaning: its
// table entries stay zero, which decoding rejects.
const badSym = ^uint32(0)

// buildTable fills tab with the decoding table of the canonical Huffman code
// whose code lengths are lens, and returns it: a root table of 1<<root
// entries, then the subtables of longer codes. As compress/flate and zlib,
// it rejects over-subscribed and incomplete codes, except a code of one
// symbol of length 1; an empty code yields a table of invalid entries.
func buildTable(tab []uint32, lens []uint8, root uint, entry func(int) uint32) ([]uint32, bool) {
	// Four counts, summed after: consecutive increments of one count
	// (runs of equal lengths are the rule) wait on each other.
	var c [4][16]int
	i := 0
	for ; i+4 <= len(lens); i += 4 {
		c[0][lens[i]&15]++
		c[1][lens[i+1]&15]++
		c[2][lens[i+2]&15]++
		c[3][lens[i+3]&15]++
	}
	for ; i < len(lens); i++ {
		c[0][lens[i]&15]++
	}
	var count, next [16]int
	for l := 1; l < 16; l++ {
		count[l] = c[0][l] + c[1][l] + c[2][l] + c[3][l]
	}
	left, total := 1, 0
	for l := 1; l < 16; l++ {
		left = left<<1 - count[l]
		if left < 0 {
			return tab, false
		}
		total += count[l]
	}
	if left > 0 && total > 0 && !(total == 1 && count[1] == 1) {
		return tab, false
	}
	// Symbols in canonical order: by length, then value.
	var sorted [288]uint16
	for l := 1; l < 16; l++ {
		next[l] = next[l-1] + count[l-1]
	}
	for s, l := range lens {
		if l != 0 {
			sorted[next[l]] = uint16(s)
			next[l]++
		}
	}
	// Codes in the same order; then the decoding table.
	var codes [288]uint16
	code, prev := 0, 0
	for i := range total {
		l := int(lens[sorted[i]])
		code <<= l - prev
		prev = l
		codes[i] = uint16(code)
		code++
	}
	// A complete code writes every root entry: only an incomplete code
	// and the fixed codes' meaningless symbols leave entries that must
	// read as invalid.
	size := 1 << root
	tab = slices.Grow(tab[:0], size)[:size]
	if left > 0 || entry(len(lens)-1) == badSym {
		clear(tab)
	}
	// The root table is built a length at a time, as libdeflate does: the
	// codes of length l go into its first 1<<l entries, which are then
	// copied after themselves, so that each code's entry repeats every
	// 1<<l entries. One store per code and copies, where filling each
	// code's entries in turn took a loop of a different count per code,
	// whose mispredicted exits cost most of building a table.
	rt := tab[:size]
	i = 0
	for l, cur := 1, 2; l <= int(root); l, cur = l+1, 2*cur {
		for ; i < total && int(lens[sorted[i]]) == l; i++ {
			// Entries of meaningless symbols stay invalid: only in the
			// fixed codes, whose lengths fit the root.
			if e := entry(int(sorted[i])); e != badSym {
				rt[reverse(int(codes[i]), l)] = e | uint32(l)
			}
		}
		if cur < size {
			copy(rt[cur:2*cur], rt[:cur])
		}
	}
	group := -1 // root bits of the long codes whose subtable is open
	for ; i < total; i++ {
		s := int(sorted[i])
		l, code := int(lens[s]), int(codes[i])
		rev := reverse(code, l)
		e := entry(s)
		// Codes sharing their first root bits are consecutive; the first
		// of them opens a subtable as deep as the group's longest code.
		prefix := rev & (size - 1)
		if g := code >> (l - int(root)); g != group {
			group = g
			last := i
			for last+1 < total {
				nl := int(lens[sorted[last+1]])
				if int(codes[last+1])>>(nl-int(root)) != group {
					break
				}
				last++
			}
			bits := uint(lens[sorted[last]]) - root
			tab[prefix] = kindSub<<13 | uint32(bits)<<8 | uint32(len(tab))<<16 | uint32(root)
			tab = append(tab, make([]uint32, 1<<bits)...)
		}
		start, bits := int(tab[prefix]>>16), int(tab[prefix]>>8&31)
		sl := l - int(root)
		for j := rev >> root; j < 1<<bits; j += 1 << sl {
			tab[start+j] = e | uint32(sl)
		}
	}
	return tab, true
}

// reverse returns the l low bits of code in reverse order: deflate sends
// Huffman codes from their most significant bit, into a buffer read from
// its least significant one.
func reverse(code, l int) int { return int(bits.Reverse16(uint16(code)) >> (16 - l)) }

var fixedTables = sync.OnceValues(func() (lit, dist []uint32) {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	lit, _ = buildTable(nil, lens[:], litRoot, litEntry)
	for i := range 32 {
		lens[i] = 5
	}
	dist, _ = buildTable(nil, lens[:32], distRoot, distEntry)
	return lit, dist
})

// inflater is one decoding, reused through inflaters for its tables.
type inflater struct {
	in    []byte
	pos   int // next byte of in to load; past len(in) the buffer gets zeros
	bits  uint64
	nbits uint
	out   []byte
	o     int // bytes written to out
	limit int // out may grow to this many bytes
	lens  [288 + 32]uint8
	lit   []uint32
	dist  []uint32
	cl    []uint32
}

var inflaters = sync.Pool{New: func() any { return new(inflater) }}

// zinflate decodes the zlib stream at the start of src into out's
// capacity, growing it up to limit bytes, and returns what it wrote.
// Packs come from remotes too: should a decoder bug that the fuzz test
// (which calls decodeZlib) has not found meet hostile bytes, the read
// fails as corrupt instead of taking the process down.
func zinflate(out, src []byte, limit int) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, errZlibCorrupt
		}
	}()
	return decodeZlib(out, src, limit)
}

// decodeZlib is zinflate without its guard.
func decodeZlib(out, src []byte, limit int) ([]byte, error) {
	f := inflaters.Get().(*inflater)
	defer inflaters.Put(f)
	*f = inflater{lit: f.lit[:0], dist: f.dist[:0], cl: f.cl[:0], in: src, out: out[:cap(out)], limit: limit}
	defer func() { f.in, f.out = nil, nil }()
	if len(src) < 2 || src[0]&0x0f != 8 || src[0]>>4 > 7 || binary.BigEndian.Uint16(src)%31 != 0 || src[1]&0x20 != 0 {
		return nil, errZlibHeader
	}
	f.pos = 2
	for final := false; !final; {
		f.refill()
		final = f.bits&1 == 1
		typ := f.bits >> 1 & 3
		f.consume(3)
		var err error
		switch typ {
		case 0:
			err = f.stored()
		case 1:
			lit, dist := fixedTables()
			err = f.codes(lit, dist)
		case 2:
			if err = f.dynamic(); err == nil {
				err = f.codes(f.lit, f.dist)
			}
		default:
			err = errZlibCorrupt
		}
		if err != nil {
			return nil, err
		}
	}
	f.consume(f.nbits % 8)
	p := f.pos - int(f.nbits/8)
	if p+4 > len(src) {
		return nil, errZlibCorrupt
	}
	if binary.BigEndian.Uint32(src[p:]) != adler32(f.out[:f.o]) {
		return nil, errZlibSum
	}
	return f.out[:f.o], nil
}

// refill loads the bit buffer to at least 56 bits: enough for a length
// and a distance with their extra bits. Eight bytes at a time, it may put
// the next, partial byte above nbits; the next load puts the same bits at
// the same place, so that is harmless.
func (f *inflater) refill() {
	if f.pos+8 <= len(f.in) {
		f.bits |= binary.LittleEndian.Uint64(f.in[f.pos:]) << f.nbits
		k := (63 - f.nbits) >> 3
		f.pos += int(k)
		f.nbits += k << 3
		return
	}
	for f.nbits < 56 {
		if f.pos < len(f.in) {
			f.bits |= uint64(f.in[f.pos]) << f.nbits
		}
		f.pos++
		f.nbits += 8
	}
}

func (f *inflater) consume(n uint) {
	f.bits >>= n
	f.nbits -= n
}

// overrun reports whether decoding went past the end of the input, into
// the zeros refill pads it with.
func (f *inflater) overrun() bool { return f.pos-int(f.nbits/8) > len(f.in) }

// room makes out hold n more bytes, or reports that it cannot.
func (f *inflater) room(n int) bool {
	if f.o+n <= len(f.out) {
		return true
	}
	if f.o+n > f.limit {
		return false
	}
	grown := make([]byte, min(max(2*len(f.out), f.o+n, 512), f.limit))
	copy(grown, f.out[:f.o])
	f.out = grown
	return true
}

func (f *inflater) stored() error {
	f.consume(f.nbits % 8)
	p := f.pos - int(f.nbits/8)
	f.pos, f.bits, f.nbits = p, 0, 0
	if p+4 > len(f.in) {
		return errZlibCorrupt
	}
	n := int(binary.LittleEndian.Uint16(f.in[p:]))
	if uint16(n) != ^binary.LittleEndian.Uint16(f.in[p+2:]) || p+4+n > len(f.in) {
		return errZlibCorrupt
	}
	if !f.room(n) {
		return errZlibSize
	}
	f.o += copy(f.out[f.o:], f.in[p+4:p+4+n])
	f.pos = p + 4 + n
	return nil
}

// dynamic reads a dynamic block's code lengths and builds its tables.
func (f *inflater) dynamic() error {
	f.refill()
	nlit := int(f.bits&31) + 257
	ndist := int(f.bits>>5&31) + 1
	ncl := int(f.bits>>10&15) + 4
	f.consume(14)
	if nlit > 286 || ndist > 30 {
		return errZlibCorrupt
	}
	var cl [19]uint8
	for i := range ncl {
		if f.nbits < 3 {
			f.refill()
		}
		cl[clOrder[i]] = uint8(f.bits & 7)
		f.consume(3)
	}
	var ok bool
	if f.cl, ok = buildTable(f.cl, cl[:], clRoot, clEntry); !ok {
		return errZlibCorrupt
	}
	lens := f.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if f.nbits < clRoot+7 {
			f.refill()
		}
		e := f.cl[f.bits&(1<<clRoot-1)]
		if e&0xff == 0 {
			return errZlibCorrupt
		}
		f.consume(uint(e & 0xff))
		sym := int(e >> 16)
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return errZlibCorrupt
			}
			rep, val = 3+int(f.bits&3), lens[i-1]
			f.consume(2)
		case 17:
			rep = 3 + int(f.bits&7)
			f.consume(3)
		default:
			rep = 11 + int(f.bits&127)
			f.consume(7)
		}
		if i+rep > len(lens) {
			return errZlibCorrupt
		}
		for range rep {
			lens[i] = val
			i++
		}
	}
	if f.overrun() || lens[256] == 0 {
		return errZlibCorrupt
	}
	if f.lit, ok = buildTable(f.lit, lens[:nlit], litRoot, litEntry); !ok {
		return errZlibCorrupt
	}
	if f.dist, ok = buildTable(f.dist, lens[nlit:], distRoot, distEntry); !ok {
		return errZlibCorrupt
	}
	return nil
}

// codes decodes a Huffman-coded block up to its end-of-block code. It
// works on local copies of the decoder's state, which the compiler keeps
// in registers, and stores them back at the end of the block: not in a
// deferred function, whose references to them would keep them in memory
// (on an error the state is of no further use).
func (f *inflater) codes(lit, dist []uint32) error {
	in, pos, bits, nbits := f.in, f.pos, f.bits, f.nbits
	out, o := f.out, f.o
	litRootTab := (*[1 << litRoot]uint32)(lit)
	distRootTab := (*[1 << distRoot]uint32)(dist)
	for {
		// 48 bits hold any length and distance with their extra bits.
		if nbits < 48 {
			if pos+8 <= len(in) {
				bits |= binary.LittleEndian.Uint64(in[pos:]) << nbits
				k := (63 - nbits) >> 3
				pos += int(k)
				nbits += k << 3
			} else {
				f.pos, f.bits, f.nbits = pos, bits, nbits
				f.refill()
				pos, bits, nbits = f.pos, f.bits, f.nbits
			}
		}
		e := litRootTab[bits&(1<<litRoot-1)]
		if e>>13&7 == kindSub {
			bits >>= litRoot
			nbits -= litRoot
			e = lit[int(e>>16)+int(bits&(1<<(e>>8&31)-1))]
		}
		n := uint(e & 0xff)
		if n == 0 {
			return errZlibCorrupt
		}
		bits >>= n
		nbits -= n
		switch e >> 13 & 7 {
		case kindLit:
			if o >= len(out) {
				f.o = o
				if !f.room(1) {
					return errZlibSize
				}
				out = f.out
			}
			out[o] = byte(e >> 16)
			o++
			continue
		case kindEnd:
			if pos-int(nbits/8) > len(in) {
				return errZlibCorrupt // past the end of the input
			}
			f.pos, f.bits, f.nbits, f.o = pos, bits, nbits, o
			return nil
		}
		x := uint(e >> 8 & 31)
		length := int(e>>16) + int(bits&(1<<x-1))
		bits >>= x
		nbits -= x
		e = distRootTab[bits&(1<<distRoot-1)]
		if e>>13&7 == kindSub {
			bits >>= distRoot
			nbits -= distRoot
			e = dist[int(e>>16)+int(bits&(1<<(e>>8&31)-1))]
		}
		n = uint(e & 0xff)
		if n == 0 {
			return errZlibCorrupt
		}
		x = uint(e >> 8 & 31)
		d := int(e>>16) + int(bits>>n&(1<<x-1))
		bits >>= n + x
		nbits -= n + x
		if d > o || pos-int(nbits/8) > len(in) {
			return errZlibCorrupt
		}
		if o+length > len(out) {
			f.o = o
			if !f.room(length) {
				return errZlibSize
			}
			out = f.out
		}
		switch {
		case d >= 8 && o+length+8 <= len(out):
			// Eight bytes at a time, each from bytes already written;
			// the last word may write past the match, into bytes that
			// later ones overwrite.
			for k := 0; k < length; k += 8 {
				binary.LittleEndian.PutUint64(out[o+k:], binary.LittleEndian.Uint64(out[o-d+k:]))
			}
		case d >= length:
			copy(out[o:o+length], out[o-d:])
		default:
			// An overlapping match repeats its last d bytes: copy what is
			// already there, doubling each time.
			for k := 0; k < length; {
				k += copy(out[o+k:o+length], out[o-d:o+k])
			}
		}
		o += length
	}
}

// adler32 is hash/adler32.Checksum, sixteen bytes a step: the sums after a
// step are s1+Σb and s2+16·s1+Σ(16-i)·b[i], and both sums of the bytes
// come from two 64-bit words by multiplication: spread into 16-bit lanes,
// a word times 0x0001000100010001 holds the lanes' sum in its top lane,
// times 0x0004000300020001 their sum weighted 4, 3, 2, 1. No lane
// overflows (at most 10·1020). About 2.5 times as fast as hash/adler32 here.
func adler32(p []byte) uint32 {
	const mod, nmax = 65521, 5552 // nmax: the most bytes before s2 can overflow; a multiple of 16
	const lo, ones, ramp = 0x00ff00ff00ff00ff, 0x0001000100010001, 0x0004000300020001
	s1, s2 := uint32(1), uint32(0)
	for len(p) > 0 {
		q := p[:min(len(p), nmax)]
		p = p[len(q):]
		for ; len(q) >= 16; q = q[16:] {
			v0, v1 := binary.LittleEndian.Uint64(q), binary.LittleEndian.Uint64(q[8:])
			e0, o0, e1, o1 := v0&lo, v0>>8&lo, v1&lo, v1>>8&lo
			p0, p01 := e0+o0, e0+o0+e1+o1
			// Σ(16-i)·b[i] = 8·(sum of v0) + Σ(8-i)·b[i] over each word,
			// where Σ(8-i)·b[i] = 2·(ramp of the pair sums) - (sum of the odd bytes).
			w := 8*uint32(p0*ones>>48) + 2*uint32(p01*ramp>>48) - uint32((o0+o1)*ones>>48)
			s2 += 16*s1 + w
			s1 += uint32(p01 * ones >> 48)
		}
		for _, b := range q {
			s1 += uint32(b)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
	}
	return s2<<16 | s1
}
