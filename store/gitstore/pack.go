package gitstore

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// rawObject is a Git object held in memory, whose id is already known, so
// storing it neither copies nor re-hashes its content. It is read-only.
type rawObject struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	data []byte
}

func (o *rawObject) Hash() plumbing.Hash         { return o.hash }
func (o *rawObject) Type() plumbing.ObjectType   { return o.typ }
func (o *rawObject) SetType(plumbing.ObjectType) {}
func (o *rawObject) Size() int64                 { return int64(len(o.data)) }
func (o *rawObject) SetSize(int64)               {}
func (o *rawObject) Reader() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(o.data)), nil
}
func (o *rawObject) Writer() (io.WriteCloser, error) {
	return nil, errors.New("gitstore: object is read-only")
}

// objectDB reads the objects of an on-disk repository, packed or loose,
// without go-git's object storage, which is not safe for concurrent use and
// re-parses pack headers on every read. It is safe for concurrent use: a
// read looks up an immutable list of packs and reads the pack file with
// pread, taking no lock while doing I/O.
//
// Packs come and go under it (its own commits, a fetch, Maintain in another
// process, git gc): a lookup that misses scans objects/pack again, and a pack
// that vanished stays readable through the file this process holds open.
type objectDB struct {
	dir   string // <git dir>/objects
	packs atomic.Pointer[[]*pack]
	scan  sync.Mutex // serialises rescans
	bases baseCache
	ahead readahead
	chunk atomic.Pointer[chunk] // one for all packs: its memory is bounded
}

func newObjectDB(gitDir string) *objectDB {
	db := &objectDB{dir: filepath.Join(gitDir, "objects")}
	db.packs.Store(new([]*pack))
	db.bases.max = 16 << 20
	return db
}

func (db *objectDB) packDir() string { return filepath.Join(db.dir, "pack") }

func (db *objectDB) loosePath(h plumbing.Hash) string {
	s := h.String()
	return filepath.Join(db.dir, s[:2], s[2:])
}

// find returns the pack holding h and its offset, or nil.
func (db *objectDB) find(h plumbing.Hash) (*pack, int64) {
	for _, p := range *db.packs.Load() {
		if off, ok := p.offset(h); ok {
			return p, off
		}
	}
	return nil, 0
}

// has reports whether the repository holds h. With rescan false it trusts
// the packs already known, for callers to whom a false "no" costs only a
// duplicate object.
func (db *objectDB) has(h plumbing.Hash, rescan bool) bool {
	if p, _ := db.find(h); p != nil {
		return true
	}
	if _, err := os.Stat(db.loosePath(h)); err == nil {
		return true
	}
	if rescan {
		// Whether or not this rescan found a new pack: a concurrent one
		// may just have.
		db.rescan()
		p, _ := db.find(h)
		return p != nil
	}
	return false
}

// read returns the type and content of object h, or an error wrapping
// plumbing.ErrObjectNotFound.
func (db *objectDB) read(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	for attempt := 0; ; attempt++ {
		if p, off := db.find(h); p != nil {
			return p.read(db, off)
		}
		t, data, err := db.readLoose(h)
		if !errors.Is(err, plumbing.ErrObjectNotFound) || attempt > 0 {
			return t, data, err
		}
		db.rescan() // then look again, even if a concurrent rescan found the pack
	}
}

// size returns the size of object h's content, reading only the header of
// a packed whole object.
func (db *objectDB) size(h plumbing.Hash) (int64, error) {
	if p, off := db.find(h); p != nil {
		size, err := p.sizeAt(db, off)
		if err != nil {
			return 0, fmt.Errorf("pack %s at %d: %w", filepath.Base(p.name), off, err)
		}
		return size, nil
	}
	_, data, err := db.read(h) // loose, or in a pack not seen yet
	return int64(len(data)), err
}

func (db *objectDB) readLoose(h plumbing.Hash) (plumbing.ObjectType, []byte, error) {
	raw, err := os.ReadFile(db.loosePath(h))
	if errors.Is(err, os.ErrNotExist) {
		return plumbing.InvalidObject, nil, plumbing.ErrObjectNotFound
	}
	if err != nil {
		return plumbing.InvalidObject, nil, err
	}
	// "<type> <size>\x00" and the content, whose size the header gives.
	all, err := zinflate(make([]byte, min(4*len(raw)+64, maxInflated(len(raw)))), raw, maxInflated(len(raw)))
	if err != nil {
		return plumbing.InvalidObject, nil, fmt.Errorf("loose object %s: %w", h, err)
	}
	hdr, _, ok := bytes.Cut(all[:min(len(all), 32)], []byte{0})
	if !ok {
		return plumbing.InvalidObject, nil, fmt.Errorf("loose object %s: bad header %q", h, hdr)
	}
	data := all[len(hdr)+1:]
	ts, ss, _ := strings.Cut(string(hdr), " ")
	t, err := plumbing.ParseObjectType(ts)
	size, serr := strconv.Atoi(ss)
	if err != nil || serr != nil || size != len(data) {
		return plumbing.InvalidObject, nil, fmt.Errorf("loose object %s: bad header %q for %d bytes", h, hdr, len(data))
	}
	return t, data, nil
}

// rescan brings the list of packs up to date with objects/pack.
func (db *objectDB) rescan() {
	db.scan.Lock()
	defer db.scan.Unlock()
	names, _ := filepath.Glob(filepath.Join(db.packDir(), "pack-*.idx"))
	old := *db.packs.Load()
	byName := make(map[string]*pack, len(old))
	for _, p := range old {
		byName[p.name] = p
	}
	var packs []*pack
	for _, n := range names {
		n = strings.TrimSuffix(n, ".idx")
		if p := byName[n]; p != nil {
			packs = append(packs, p)
			delete(byName, n)
			continue
		}
		// A pack being written has no .idx yet; one being deleted may have
		// lost its .pack: both are skipped until they settle.
		if p, err := openPack(n); err == nil {
			packs = append(packs, p)
		}
	}
	// Vanished packs are forgotten, not closed: a reader may be using one,
	// and its file closes when it is collected.
	for _, p := range byName {
		db.ahead.forget(p)
	}
	// Largest first: after maintenance nearly every lookup hits the first.
	slices.SortStableFunc(packs, func(a, b *pack) int { return len(b.offs) - len(a.offs) })
	db.packs.Store(&packs)
}

// pack is an open pack file and its index, read whole into memory.
type pack struct {
	name   string // path without .pack or .idx
	f      *os.File
	size   int64
	fanout [256]uint32
	names  []byte    // sorted object ids, 20 bytes each
	offs   []int64   // offset of names[i]
	sorted []int64   // every offset ascending, then the trailer's
	mtime  time.Time // of the .pack when opened
	// lastEnd is where the last read outside the chunk ended.
	lastEnd atomic.Int64
}

func openPack(name string) (_ *pack, err error) {
	idx, err := os.ReadFile(name + ".idx")
	if err != nil {
		return nil, err
	}
	f, err := os.Open(name + ".pack")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	p := &pack{name: name, f: f, size: fi.Size(), mtime: fi.ModTime()}
	if err := p.parseIdx(idx); err != nil {
		return nil, fmt.Errorf("%s.idx: %w", name, err)
	}
	return p, nil
}

// parseIdx decodes a version 2 pack index.
func (p *pack) parseIdx(b []byte) error {
	if len(b) < 8+256*4+40 || !bytes.Equal(b[:8], []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}) {
		return errors.New("not a version 2 pack index")
	}
	for i := range p.fanout {
		p.fanout[i] = binary.BigEndian.Uint32(b[8+4*i:])
		if i > 0 && p.fanout[i] < p.fanout[i-1] {
			return errors.New("fan-out table not ascending")
		}
	}
	n := int(p.fanout[255])
	base := 8 + 256*4
	if len(b) < base+n*28+40 {
		return errors.New("truncated")
	}
	p.names = b[base : base+20*n]
	o32 := b[base+24*n : base+28*n]
	o64 := b[base+28*n : len(b)-40]
	p.offs = make([]int64, n)
	for i := range n {
		o := binary.BigEndian.Uint32(o32[4*i:])
		if o&(1<<31) != 0 {
			j := int(o&^(1<<31)) * 8
			if j+8 > len(o64) {
				return errors.New("large offset out of range")
			}
			p.offs[i] = int64(binary.BigEndian.Uint64(o64[j:]))
		} else {
			p.offs[i] = int64(o)
		}
	}
	p.sorted = append(slices.Clone(p.offs), p.size-20)
	slices.Sort(p.sorted)
	return nil
}

func (p *pack) offset(h plumbing.Hash) (int64, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(p.fanout[h[0]-1])
	}
	hi := int(p.fanout[h[0]])
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(p.names[20*m:20*m+20], h[:]); {
		case c == 0:
			return p.offs[m], true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

// hashes lists the ids of the pack's objects.
func (p *pack) hashes() []plumbing.Hash {
	out := make([]plumbing.Hash, len(p.offs))
	for i := range out {
		copy(out[i][:], p.names[20*i:])
	}
	return out
}

// maxInflated bounds what n bytes of zlib data can inflate to (deflate
// expands at most 1,032 times), so that a damaged size cannot make a
// reader allocate without bound.
func maxInflated(n int) int { return 1032*n + 64 }

// inflate decompresses src, which holds size bytes, into a new slice.
func inflate(src []byte, size int) ([]byte, error) {
	if size < 0 || size > maxInflated(len(src)) {
		return nil, fmt.Errorf("object of %d bytes cannot come from %d compressed", size, len(src))
	}
	data, err := zinflate(make([]byte, size), src, size)
	if err == nil && len(data) != size {
		err = errZlibSize
	}
	return data, err
}

// read returns the object at off, resolving deltas.
func (p *pack) read(db *objectDB, off int64) (t plumbing.ObjectType, data []byte, err error) {
	if s := db.ahead.take(db, p, off); s != nil {
		db.ahead.wait(db, p, s)
		t, data, err = s.t, s.data, s.err
		if s.skipped {
			t, data, err = p.readAt(db, off, 0)
		}
	} else {
		t, data, err = p.readAt(db, off, 0)
	}
	if err != nil {
		return t, nil, fmt.Errorf("pack %s at %d: %w", filepath.Base(p.name), off, err)
	}
	return t, data, nil
}

// packEntry is the header of the object at a pack offset: its type, the size
// its header gives (of the object, or of a delta), how a delta finds its
// base, and its compressed bytes.
type packEntry struct {
	t     plumbing.ObjectType
	size  int
	base  int64         // OFS delta: the base's offset
	ref   plumbing.Hash // REF delta: the base's id
	zdata []byte
}

// entryAt reads and parses the header of the object at off.
func (p *pack) entryAt(db *objectDB, off int64) (e packEntry, err error) {
	i, _ := slices.BinarySearch(p.sorted, off+1)
	if i == len(p.sorted) || off < 12 {
		return e, errors.New("offset out of range")
	}
	raw, err := p.bytes(db, off, p.sorted[i])
	if err != nil {
		return e, err
	}
	c := raw[0]
	e.t = plumbing.ObjectType(c >> 4 & 7)
	e.size = int(c & 15)
	n := 1
	for shift := 4; c&0x80 != 0; shift += 7 {
		if n >= len(raw) || shift > 56 {
			return e, errors.New("bad object header")
		}
		c = raw[n]
		n++
		e.size |= int(c&0x7f) << shift
	}
	switch e.t {
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
	case plumbing.OFSDeltaObject:
		var rel int64
		for k := 0; ; k++ {
			if n >= len(raw) || k > 9 {
				return e, errors.New("bad delta offset")
			}
			c = raw[n]
			n++
			rel = rel<<7 | int64(c&0x7f)
			if c&0x80 == 0 {
				break
			}
			rel++
		}
		e.base = off - rel
	case plumbing.REFDeltaObject:
		if n+20 > len(raw) {
			return e, errors.New("bad delta base")
		}
		e.ref = plumbing.Hash(raw[n : n+20])
		n += 20
	default:
		return e, fmt.Errorf("object type %d", e.t)
	}
	e.zdata = raw[n:]
	return e, nil
}

// chunk is bytes of a pack read in one go. Reading a tenant, or
// Maintain, goes through a pack in order: a read that starts where the
// last one ended, or past the chunk's end, reads chunkBytes at once,
// sparing a system call per object; other reads read just their object,
// and leave the chunk to the sequential reader.
type chunk struct {
	p     *pack
	start int64
	data  []byte
}

const chunkBytes = 256 << 10

// bytes returns the pack's bytes from off to end, which callers only read.
func (p *pack) bytes(db *objectDB, off, end int64) ([]byte, error) {
	c := db.chunk.Load()
	if c != nil && c.p == p && off >= c.start && end <= c.start+int64(len(c.data)) {
		return c.data[off-c.start : end-c.start], nil
	}
	if off != p.lastEnd.Load() && (c == nil || c.p != p || off < c.start || off > c.start+int64(len(c.data))) {
		b := make([]byte, end-off)
		if _, err := p.f.ReadAt(b, off); err != nil {
			return nil, err
		}
		p.lastEnd.Store(end)
		return b, nil
	}
	c = &chunk{p, off, make([]byte, max(end-off, min(chunkBytes, p.size-off)))}
	if _, err := p.f.ReadAt(c.data, off); err != nil {
		return nil, err
	}
	db.chunk.Store(c)
	return c.data[:end-off], nil
}

// typeAt returns the type in the header of the object at off.
func (p *pack) typeAt(db *objectDB, off int64) (plumbing.ObjectType, error) {
	var b [1]byte
	if c := db.chunk.Load(); c != nil && c.p == p && off >= c.start && off < c.start+int64(len(c.data)) {
		b[0] = c.data[off-c.start]
	} else if _, err := p.f.ReadAt(b[:], off); err != nil {
		return plumbing.InvalidObject, err
	}
	return plumbing.ObjectType(b[0] >> 4 & 7), nil
}

func (p *pack) readAt(db *objectDB, off int64, depth int) (plumbing.ObjectType, []byte, error) {
	if depth > 10_000 {
		return plumbing.InvalidObject, nil, errors.New("delta chain too deep")
	}
	e, err := p.entryAt(db, off)
	if err != nil {
		return e.t, nil, err
	}
	var (
		bt   plumbing.ObjectType
		base []byte
	)
	switch e.t {
	case plumbing.OFSDeltaObject:
		bt, base, err = db.bases.resolve(p, e.base, func() (plumbing.ObjectType, []byte, error) {
			return p.readAt(db, e.base, depth+1)
		})
	case plumbing.REFDeltaObject:
		bp, boff := db.find(e.ref)
		if bp == nil {
			return e.t, nil, fmt.Errorf("delta base %s: %w", e.ref, plumbing.ErrObjectNotFound)
		}
		bt, base, err = db.bases.resolve(bp, boff, func() (plumbing.ObjectType, []byte, error) {
			return bp.readAt(db, boff, depth+1)
		})
	default:
		data, err := inflate(e.zdata, e.size)
		return e.t, data, err
	}
	if err != nil {
		return e.t, nil, err
	}
	delta, err := inflate(e.zdata, e.size)
	if err != nil {
		return e.t, nil, err
	}
	data, err := packfile.PatchDelta(base, delta)
	return bt, data, err
}

// sizeAt returns the size of the object at off without building it: a
// whole object's header gives it, a delta's own header its result's.
func (p *pack) sizeAt(db *objectDB, off int64) (int64, error) {
	e, err := p.entryAt(db, off)
	if err != nil || (e.t != plumbing.OFSDeltaObject && e.t != plumbing.REFDeltaObject) {
		return int64(e.size), err
	}
	delta, err := inflate(e.zdata, e.size)
	if err != nil {
		return 0, err
	}
	// The delta starts with its base's size and its result's, as varints.
	var size int64
	for i, n := 0, 0; i < 2; i++ {
		size = 0
		for shift := 0; ; shift += 7 {
			if n >= len(delta) || shift > 56 {
				return 0, errors.New("bad delta header")
			}
			c := delta[n]
			n++
			size |= int64(c&0x7f) << shift
			if c&0x80 == 0 {
				break
			}
		}
	}
	return size, nil
}

// baseCache keeps delta bases recently inflated, bounded in bytes, so that
// reading the versions of a file stored as deltas of one another inflates
// each base once.
type baseCache struct {
	mu    sync.Mutex
	max   int
	bytes int
	order []baseKey // FIFO of what is cached
	items map[baseKey]baseVal
}

type baseKey struct {
	p   *pack
	off int64
}

type baseVal struct {
	t    plumbing.ObjectType
	data []byte
}

func (c *baseCache) resolve(p *pack, off int64, load func() (plumbing.ObjectType, []byte, error)) (plumbing.ObjectType, []byte, error) {
	k := baseKey{p, off}
	c.mu.Lock()
	v, ok := c.items[k]
	c.mu.Unlock()
	if ok {
		return v.t, v.data, nil
	}
	t, data, err := load()
	if err != nil || len(data) > c.max/4 {
		return t, data, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[baseKey]baseVal{}
	}
	if _, ok := c.items[k]; !ok {
		c.items[k] = baseVal{t, data}
		c.order = append(c.order, k)
		c.bytes += len(data)
		for c.bytes > c.max {
			old := c.order[0]
			c.order = c.order[1:]
			c.bytes -= len(c.items[old].data)
			delete(c.items, old)
		}
	}
	return t, data, nil
}

// packWriter writes a pack and its index into objects/pack. Objects go in
// as they come, whole or as a delta of an object written before; the pack
// becomes visible, to this process and every other, only when its index is
// renamed into place, Git's own order.
type packWriter struct {
	dir     string
	f       *os.File
	w       *bufio.Writer
	sum     hash.Hash
	off     int64
	level   int
	zw      *zlib.Writer
	zbuf    bytes.Buffer
	entries []idxEntry
}

type idxEntry struct {
	hash plumbing.Hash
	off  int64
	crc  uint32
}

// newPackWriter starts a pack of n objects compressed at level.
func newPackWriter(packDir string, n, level int) (*packWriter, error) {
	if err := os.MkdirAll(packDir, 0o777); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(packDir, "tmp_pack_")
	if err != nil {
		return nil, err
	}
	pw := &packWriter{dir: packDir, f: f, sum: sha1.New(), level: level}
	pw.w = bufio.NewWriterSize(io.MultiWriter(f, pw.sum), 1<<16)
	hdr := []byte{'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(hdr[8:], uint32(n))
	pw.write(hdr)
	return pw, nil
}

func (pw *packWriter) write(b []byte) { pw.w.Write(b); pw.off += int64(len(b)) } // errors surface at Flush

// add writes object h, as a delta of the object at baseOff when delta is
// not nil.
func (pw *packWriter) add(h plumbing.Hash, t plumbing.ObjectType, data []byte, baseOff int64, delta []byte) error {
	off := pw.off
	body := data
	if delta != nil {
		t, body = plumbing.OFSDeltaObject, delta
	}
	var hdr []byte
	c := byte(t)<<4 | byte(len(body)&15)
	for size := len(body) >> 4; size > 0; size >>= 7 {
		hdr = append(hdr, c|0x80)
		c = byte(size & 0x7f)
	}
	hdr = append(hdr, c)
	if delta != nil {
		rel := off - baseOff
		enc := []byte{byte(rel & 0x7f)}
		for rel >>= 7; rel > 0; rel >>= 7 {
			rel--
			enc = append(enc, byte(0x80|rel&0x7f))
		}
		slices.Reverse(enc)
		hdr = append(hdr, enc...)
	}
	pw.zbuf.Reset()
	if pw.zw == nil {
		var err error
		if pw.zw, err = zlib.NewWriterLevel(&pw.zbuf, pw.level); err != nil {
			return err
		}
	} else {
		pw.zw.Reset(&pw.zbuf)
	}
	if _, err := pw.zw.Write(body); err != nil {
		return err
	}
	if err := pw.zw.Close(); err != nil {
		return err
	}
	crc := crc32.Update(crc32.ChecksumIEEE(hdr), crc32.IEEETable, pw.zbuf.Bytes())
	pw.write(hdr)
	pw.write(pw.zbuf.Bytes())
	pw.entries = append(pw.entries, idxEntry{h, off, crc})
	return nil
}

// abort removes the unfinished pack.
func (pw *packWriter) abort() {
	pw.f.Close()
	os.Remove(pw.f.Name())
}

// finish writes the trailer and the index and moves both into place,
// returning the pack's path without extension. The header must have
// announced exactly the objects added. With keep, a .keep file marks the
// pack before it appears: the caller removes it.
func (pw *packWriter) finish(keep bool) (string, error) {
	if err := pw.w.Flush(); err != nil {
		pw.abort()
		return "", err
	}
	sum := pw.sum.Sum(nil)
	if _, err := pw.f.Write(sum); err != nil {
		pw.abort()
		return "", err
	}
	if err := pw.f.Chmod(0o444); err != nil { // read-only, as git's packs
		pw.abort()
		return "", err
	}
	if err := pw.f.Close(); err != nil {
		os.Remove(pw.f.Name())
		return "", err
	}
	name := filepath.Join(pw.dir, "pack-"+hex.EncodeToString(sum))
	idx := pw.index(sum)
	tmp, err := os.CreateTemp(pw.dir, "tmp_idx_")
	if err == nil && keep {
		err = os.WriteFile(name+".keep", []byte(keepMark+"\n"), 0o666)
	}
	if err == nil {
		_, err = tmp.Write(idx)
		if err == nil {
			err = tmp.Chmod(0o444)
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(pw.f.Name(), name+".pack")
		}
		if err == nil {
			err = os.Rename(tmp.Name(), name+".idx")
		}
		os.Remove(tmp.Name())
	}
	if err != nil {
		os.Remove(pw.f.Name())
		if keep {
			os.Remove(name + ".keep")
		}
		return "", err
	}
	return name, nil
}

// keepMark starts the .keep files of commits in flight, which Maintain
// removes when a crash left one behind.
const keepMark = "envpromote commit in flight"

// index encodes the version 2 index of the pack whose checksum is sum.
func (pw *packWriter) index(sum []byte) []byte {
	es := pw.entries
	slices.SortFunc(es, func(a, b idxEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	var b bytes.Buffer
	b.Write([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2})
	var fan [256]uint32
	for _, e := range es {
		fan[e.hash[0]]++
	}
	var n uint32
	for _, c := range fan {
		n += c
		b.Write(binary.BigEndian.AppendUint32(nil, n))
	}
	for _, e := range es {
		b.Write(e.hash[:])
	}
	for _, e := range es {
		b.Write(binary.BigEndian.AppendUint32(nil, e.crc))
	}
	var large []byte
	for _, e := range es {
		o := uint32(e.off)
		if e.off >= 1<<31 {
			o = 1<<31 | uint32(len(large)/8)
			large = binary.BigEndian.AppendUint64(large, uint64(e.off))
		}
		b.Write(binary.BigEndian.AppendUint32(nil, o))
	}
	b.Write(large)
	b.Write(sum)
	s := sha1.Sum(b.Bytes())
	b.Write(s[:])
	return b.Bytes()
}
