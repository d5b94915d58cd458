package retold

// #include <stdint.h>
// #include <stdlib.h>
import "C"

import (
	"reflect"
	"strconv"
	"strings"
	"unsafe"
)

// cArena is one C allocation that the strings and structs of one call are copied into. cgo
// forbids handing C a Go struct that holds Go pointers (a retold_document points to its id and
// text), so documents and option lists are built in C memory; plain texts passed directly as
// arguments are not copied. An arena belongs to one goroutine and one call; free it after.
type cArena struct {
	base unsafe.Pointer
	size uintptr
	used uintptr
}

// newArena allocates size bytes (at least 1). It panics on allocation failure as the Go
// runtime does for its own memory.
func newArena(size uintptr) cArena {
	if size == 0 {
		size = 1
	}
	p := C.malloc(C.size_t(size))
	if p == nil {
		panic("retold: out of C memory allocating " + strconv.FormatUint(uint64(size), 10) + " bytes")
	}
	return cArena{base: p, size: size}
}

// alloc reserves n bytes aligned to align (a power of two) inside the arena.
func (a *cArena) alloc(n, align uintptr) unsafe.Pointer {
	start := (a.used + align - 1) &^ (align - 1)
	if start+n > a.size {
		panic("retold: internal error: C arena overflow")
	}
	a.used = start + n
	return unsafe.Add(a.base, start)
}

// cstring copies s with a terminating NUL.
func (a *cArena) cstring(s string) *C.char {
	p := a.alloc(uintptr(len(s))+1, 1)
	buf := unsafe.Slice((*byte)(p), len(s)+1)
	copy(buf, s)
	buf[len(s)] = 0
	return (*C.char)(p)
}

// text copies s without a terminator; nil for "".
func (a *cArena) text(s string) *C.char {
	if s == "" {
		return nil
	}
	p := a.alloc(uintptr(len(s)), 1)
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	return (*C.char)(p)
}

// floats copies v; nil for an empty slice.
func (a *cArena) floats(v []float32) *C.float {
	if len(v) == 0 {
		return nil
	}
	p := a.alloc(uintptr(len(v))*4, 4)
	copy(unsafe.Slice((*float32)(p), len(v)), v)
	return (*C.float)(p)
}

func (a *cArena) free() {
	C.free(a.base)
	a.base = nil
}

// textArg gives the (pointer, length) of a string argument passed straight to C: the library
// reads it during the call only, and string bytes hold no Go pointers, so no copy is needed.
func textArg(s string) (*C.char, C.uint64_t) {
	if s == "" {
		return nil, 0
	}
	// Go 1.19 has no unsafe.StringData; this is the documented pattern for the string header.
	return (*C.char)(unsafe.Pointer((*reflect.StringHeader)(unsafe.Pointer(&s)).Data)), C.uint64_t(len(s))
}

// cstringArg copies a NUL-terminated argument (id, path) into a Go byte slice (no Go pointers
// inside, so it may be passed to C); it refuses strings holding NUL.
func cstringArg(what, s string) ([]byte, error) {
	if err := checkCString(what, s); err != nil {
		return nil, err
	}
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b, nil
}

func checkCString(what, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return invalidf("%s %q contains a NUL byte at offset %d", what, s, i)
	}
	return nil
}

func cptr(b []byte) *C.char { return (*C.char)(unsafe.Pointer(&b[0])) }

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
