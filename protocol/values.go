package protocol

import (
	"math"
	"math/big"
	"unsafe"
)

// Chunk sizes of valueAlloc. A value a handler keeps alive keeps its
// chunks alive, and with them the values of the other messages decoded
// into the same chunks. So the first chunks after each read are small and
// only the later ones of a large batch grow, up to maxChunkScale times the
// smallest: a message that came alone in its read shares chunks with
// few others, however long a handler keeps it.
const (
	strChunk      = 256 // string bytes in the smallest chunk
	strDirect     = 256 // longer strings get their own allocation
	valueChunk    = 8   // []any slots or boxes in the smallest chunk
	slabDirect    = 16  // longer arrays get their own allocation
	maxChunkScale = 8
)

// valueAlloc hands out the strings and []any slices of decoded messages,
// and the boxes that put strings, slices and numbers into an any, from
// shared chunks, so that a batch of small messages costs a few allocations
// instead of one per value. Chunks are append-only: a string, slice or box,
// once handed out, is never written again (slices are capped, so appending
// to one reallocates).
//
// Each chunk is a full-length slice with a count of the slots used: the
// allocator stores a slice header only when it takes a new chunk. Storing
// one per value (append) costs a write barrier per value while the
// garbage collector runs, as the headers hold pointers.
type valueAlloc struct {
	scale int // the next chunk is scale times the smallest

	// str holds string bytes, handed out from the bottom (str[:strN]),
	// and the boxes of strings (their headers), handed out from the top
	// (str[strTop:]), so that the word-aligned headers need no padding
	// between strings.
	str    []byte
	strN   int
	strTop int
	slab   []any // slices of known length; slab[:slabN] are handed out
	slabN  int

	arrs    [][]any
	arrsN   int
	floats  []float64
	floatsN int
	ints    []int64
	intsN   int

	// top is the chunk that message data (the top-level array after the
	// port) is parsed straight into, element by element, when its length
	// is not known in advance (JSON): top[topStart:topN] is the message
	// being parsed. It saves copying every element from the scratch stack.
	top      []any
	topStart int
	topN     int

	ports   portCache
	strings *stringCache // boxes of short strings that recur; nil until the first

	// scratch is the codec's stack of elements being parsed; popArray
	// leaves the references above its length in place, up to stale, and
	// releaseStack clears them before the stream waits for a read.
	// Clearing on every pop costs a write barrier per element while the
	// garbage collector runs (about a tenth of a JSON receiver's time).
	scratch *[]any
	stale   int
}

// releaseStack drops the references popArray left in the scratch stack.
func (a *valueAlloc) releaseStack() {
	if a.scratch == nil || a.stale == 0 {
		return
	}
	s := *a.scratch
	if a.stale > len(s) {
		clear(s[len(s):min(a.stale, cap(s))])
	}
	a.stale = 0
}

// newRead makes the next chunks small again.
func (a *valueAlloc) newRead() { a.scale = 1 }

// chunkSize returns the size of a new chunk and grows the next one.
func (a *valueAlloc) chunkSize(smallest int) int {
	n := smallest * max(a.scale, 1)
	a.scale = min(2*max(a.scale, 1), maxChunkScale)
	return n
}

// string returns b as a string backed by the current chunk.
func (a *valueAlloc) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > strDirect {
		return string(b)
	}
	if a.strTop-a.strN < len(b) {
		a.newStringChunk(len(b))
	}
	off := a.strN
	a.strN += copy(a.str[off:], b)
	return unsafe.String(&a.str[off], len(b))
}

// newStringChunk takes a string chunk with room for need bytes. Its
// length is a multiple of a string header's size, and make's allocations
// of it are word-aligned, so the headers at its top are too.
func (a *valueAlloc) newStringChunk(need int) {
	n := max(a.chunkSize(strChunk), need)
	n = (n + stringHeaderSize - 1) / stringHeaderSize * stringHeaderSize
	a.str, a.strN, a.strTop = make([]byte, n), 0, n
}

// array returns a []any of length and capacity n.
func (a *valueAlloc) array(n int) []any {
	if n == 0 {
		return []any{}
	}
	if n > slabDirect {
		return make([]any, n)
	}
	if len(a.slab)-a.slabN < n {
		a.slab, a.slabN = make([]any, max(a.chunkSize(valueChunk), n)), 0
	}
	off := a.slabN
	a.slabN += n
	return a.slab[off : off+n : off+n]
}

// beginTop starts the data of a message in the top chunk.
func (a *valueAlloc) beginTop() { a.topStart = a.topN }

// pushTop appends v to the data being parsed. When the chunk is full the
// elements so far move to a new one, which the chunk sizes of array
// govern, or which is twice their number for a long message.
// (Small enough to be inlined, the chunk change apart: a call per element
// cost a tenth of decoding the typical message's elements.)
func (a *valueAlloc) pushTop(v any) {
	if a.topN == len(a.top) {
		a.newTop()
	}
	a.top[a.topN] = v
	a.topN++
}

// newTop moves the data parsed so far to a new top chunk. (Not inlined,
// which would make pushTop too large to be inlined itself.)
//
//go:noinline
func (a *valueAlloc) newTop() {
	n := a.topN - a.topStart
	nt := make([]any, max(a.chunkSize(valueChunk), 2*n))
	copy(nt, a.top[a.topStart:a.topN])
	clear(a.top[a.topStart:a.topN]) // never handed out: keep nothing alive
	a.top, a.topStart, a.topN = nt, 0, n
}

// endTop returns the data parsed since beginTop, capped so that
// appending to it reallocates.
func (a *valueAlloc) endTop() []any {
	if a.topN == a.topStart {
		return []any{}
	}
	return a.top[a.topStart:a.topN:a.topN]
}

// abortTop drops the data of a message that failed to parse: it was
// never handed out, so its slots are reused.
func (a *valueAlloc) abortTop() {
	clear(a.top[a.topStart:a.topN])
	a.topN = a.topStart
}

// portCache remembers the destination ports of recent messages, so that a
// stream of messages to the same few ports costs no string per message.
// Entries are strings of their own (not in a chunk, which they would keep
// alive), at most maxCachedPort bytes, in portCacheSize slots.
type portCache [portCacheSize]string

const (
	portCacheSize = 8
	maxCachedPort = 64
)

// port returns b as a string, from the cache when it holds b.
func (pc *portCache) port(b []byte) string {
	if len(b) == 0 || len(b) > maxCachedPort {
		return string(b)
	}
	slot := &pc[(len(b)+int(b[len(b)-1]))%portCacheSize]
	if *slot != string(b) { // compared without converting
		*slot = string(b)
	}
	return *slot
}

// emptyArray is the boxed empty array every decoded [] shares: converting
// a slice to any allocates, and a slice of capacity 0 cannot be written
// through, so sharing it is safe.
var emptyArray any = []any{}

// pushValue appends v to a scratch stack, doubling its capacity (append
// grows large slices by only a quarter, which for a huge array allocates
// several times its final size).
func pushValue(s []any, v any) []any {
	if len(s) == cap(s) {
		ns := make([]any, len(s), max(64, 2*cap(s)))
		copy(ns, s)
		s = ns
	}
	return append(s, v)
}

// popArray moves stack[base:] into a new array (if err is nil) and cuts
// the stack back to base. The references it leaves above base are
// dropped by releaseStack (when stack is a.scratch) or here.
func (a *valueAlloc) popArray(stack *[]any, base int, err error) ([]any, error) {
	var arr []any
	if err == nil {
		arr = a.array(len(*stack) - base)
		copy(arr, (*stack)[base:])
	}
	if stack == a.scratch {
		a.stale = max(a.stale, len(*stack))
	} else {
		clear((*stack)[base:])
	}
	*stack = (*stack)[:base]
	return arr, err
}

// Scratch buffers larger than these are dropped after the message that
// grew them, so one huge message does not pin memory for the connection's
// lifetime.
const (
	maxKeptStack = 4096
	maxKeptTmp   = 64 << 10
)

// trimScratch drops the scratch buffers that grew past those sizes. It
// assigns only what it drops: storing a slice into the codec, even the
// same one, costs a write barrier while the garbage collector runs, and
// this runs after every message.
func trimScratch(stack *[]any, tmp *[]byte) {
	if cap(*stack) > maxKeptStack {
		*stack = nil
	}
	if cap(*tmp) > maxKeptTmp {
		*tmp = nil
	}
}

// Boxing: converting a string, slice, or a number outside the small-int
// table to any makes Go allocate a copy of the value, one allocation per
// value. The box functions instead put the value into a chunk of its type
// and build the interface value (type word, pointer to the value) the way
// the runtime does; interior pointers keep the chunk alive, and a box is
// never written after it is handed out, which is all an interface needs.

// eface is the layout of an any.
type eface struct {
	typ, data unsafe.Pointer
}

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	stringType = typeWord("")
	arrayType  = typeWord([]any(nil))
	floatType  = typeWord(float64(0))
	intType    = typeWord(int64(0))
)

func boxIn[T any](a *valueAlloc, chunk *[]T, used *int, typ unsafe.Pointer, v T) any {
	if *used == len(*chunk) {
		*chunk, *used = make([]T, a.chunkSize(valueChunk)), 0
	}
	p := &(*chunk)[*used]
	*p = v
	*used++
	return *(*any)(unsafe.Pointer(&eface{typ, unsafe.Pointer(p)}))
}

// boxBytes returns b (valid only during the call) as a boxed string:
// from the short-string cache, or copied into the string chunk, with its
// string header, which is the box, at the chunk's top.
//
// A string chunk holds no pointers the garbage collector must follow (it
// is a []byte, never scanned): the header's pointer points into the same
// chunk, which anything holding the box or the string keeps alive anyway.
// So the header costs neither an allocation of its own, nor a scanned
// chunk, nor a write barrier; a box is never written after it is handed
// out, and a handler cannot write through one.
func (a *valueAlloc) boxBytes(b []byte) any {
	n := len(b)
	switch {
	case n == 0:
		return ""
	case n <= maxInternedString:
		if a.strings == nil {
			a.strings = new(stringCache)
		}
		if v, ok := a.strings.lookup(b); ok {
			return v
		}
	case n > strDirect:
		return string(b)
	}
	if a.strTop-a.strN < stringHeaderSize+n {
		a.newStringChunk(stringHeaderSize + n)
	}
	body := a.strN
	copy(a.str[body:], b)
	a.strN += n
	a.strTop -= stringHeaderSize
	h := (*[2]uintptr)(unsafe.Pointer(&a.str[a.strTop]))
	h[0], h[1] = uintptr(unsafe.Pointer(&a.str[body])), uintptr(n)
	return *(*any)(unsafe.Pointer(&eface{stringType, unsafe.Pointer(h)}))
}

// stringHeaderSize is the size of a string header (pointer and length).
const stringHeaderSize = int(unsafe.Sizeof(""))

func (a *valueAlloc) boxArray(x []any) any {
	if len(x) == 0 {
		return emptyArray
	}
	return boxIn(a, &a.arrs, &a.arrsN, arrayType, x)
}

func (a *valueAlloc) boxFloat(f float64) any { return boxIn(a, &a.floats, &a.floatsN, floatType, f) }

func (a *valueAlloc) boxInt(i int64) any {
	if i >= smallIntMin && i <= smallIntMax {
		return smallInts[i-smallIntMin]
	}
	return boxIn(a, &a.ints, &a.intsN, intType, i)
}

// boxUint applies the value model to an unsigned integer: int64 when it
// fits, uint64 above.
func (a *valueAlloc) boxUint(u uint64) any {
	if u <= math.MaxInt64 {
		return a.boxInt(int64(u))
	}
	return u
}

// Pre-boxed small integers: converting an int64 to any allocates unless
// the value is in this table.
const (
	smallIntMin = -256
	smallIntMax = 1023
)

var smallInts = func() (t [smallIntMax - smallIntMin + 1]any) {
	for i := range t {
		t[i] = int64(i + smallIntMin)
	}
	return t
}()

// bignumFloat is the value of a CBOR bignum (tags 2 and 3), rounded to
// float64 as the value model holds no big integers.
func bignumFloat(b []byte, negative bool) float64 {
	bi := new(big.Int).SetBytes(b)
	if negative {
		bi.Add(bi, big.NewInt(1))
		bi.Neg(bi)
	}
	f, _ := new(big.Float).SetInt(bi).Float64()
	return f
}
