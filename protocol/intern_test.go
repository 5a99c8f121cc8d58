package protocol

import (
	"bytes"
	"fmt"
	"testing"
	"unsafe"
)

func dataPtr(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).data }

// TestStringCacheAdmitsRecurringStrings: a short string is boxed from the
// chunks the first time; from its second sighting on every message gets
// the same box, a string of its own (not in a chunk, which it would pin).
func TestStringCacheAdmitsRecurringStrings(t *testing.T) {
	var a valueAlloc
	first := a.boxBytes([]byte("db_set"))
	second := a.boxBytes([]byte("db_set"))
	third := a.boxBytes([]byte("db_set"))
	if first != "db_set" || second != "db_set" || third != "db_set" {
		t.Fatalf("values %v %v %v", first, second, third)
	}
	if dataPtr(second) != dataPtr(third) {
		t.Error("a recurring string was boxed again")
	}
	if dataPtr(first) == dataPtr(second) {
		t.Error("admitted on first sight")
	}
	s := second.(string)
	if chunk := a.str[:cap(a.str)]; len(chunk) > 0 {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); p >= uintptr(unsafe.Pointer(&chunk[0])) && p < uintptr(unsafe.Pointer(&chunk[0]))+uintptr(len(chunk)) {
			t.Error("a cached string lives in a chunk")
		}
	}
}

// TestStringCacheLeavesDistinctStringsAlone: a stream of distinct short
// strings (ids, counters) is never admitted, so the cache allocates
// nothing for it, and long strings never go near it.
func TestStringCacheLeavesDistinctStringsAlone(t *testing.T) {
	var a valueAlloc
	for i := range 10000 {
		s := fmt.Sprintf("id-%d", i)
		if v := a.boxBytes([]byte(s)); v != s {
			t.Fatalf("got %v, want %s", v, s)
		}
	}
	for i, slot := range a.strings {
		if slot.box != nil {
			t.Errorf("slot %d holds %q", i, slot.s)
		}
	}
	long := bytes.Repeat([]byte("x"), maxInternedString+1)
	a.boxBytes(long)
	a.boxBytes(long)
	if v := a.boxBytes(long); dataPtr(v) == dataPtr(a.boxBytes(long)) {
		t.Error("a long string was cached")
	}
}

// TestShortHashSeesEveryByte: strings of every cached length that differ
// in one byte hash differently, so admission compares whole strings.
func TestShortHashSeesEveryByte(t *testing.T) {
	for n := 1; n <= maxInternedString; n++ {
		b := bytes.Repeat([]byte("a"), n)
		h := shortHash(b)
		for i := range n {
			c := bytes.Clone(b)
			c[i] = 'b'
			if shortHash(c) == h {
				t.Errorf("length %d: byte %d does not change the hash", n, i)
			}
		}
	}
}

// TestPortCacheReusesPortNames: messages to the same port share its name;
// other ports, and names too long to cache, are still exact.
func TestPortCacheReusesPortNames(t *testing.T) {
	var pc portCache
	a, b := pc.port([]byte("portname")), pc.port([]byte("portname"))
	if a != "portname" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Fatalf("port names %q %q not shared", a, b)
	}
	for _, name := range []string{"other", "", string(bytes.Repeat([]byte("p"), maxCachedPort+1)), "portname"} {
		if got := pc.port([]byte(name)); got != name {
			t.Errorf("port %q decoded as %q", name, got)
		}
	}
}
