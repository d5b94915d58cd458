// Package bench measures the per-call overhead of the Go binding: the same small calls made
// through package retold, through cgo straight to the C ABI (this file, no wrapper), and (in
// run.sh) through the C++ API (bench/bench_capi.cpp), on the same 200-document state.
package bench

// #cgo LDFLAGS: -lretold_c
// #include <stdlib.h>
// #include <retold/retold.h>
import "C"

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unsafe"

	retold "github.com/retold/retold/bindings/go"
)

// Synthetic is document i of the benchmark state: 80 words "w<k>", k from a 31-bit LCG seeded by
// i, exactly as bench/bench_capi.cpp generates it (the tests use it too).
func Synthetic(i int) string {
	x := (uint64(i) + 1) * 2654435761 % 2147483648
	var sb strings.Builder
	for j := 0; j < 80; j++ {
		x = (x*1103515245 + 12345) % 2147483648
		if j > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteByte('w')
		sb.WriteString(strconv.FormatUint(x%30000, 10))
	}
	return sb.String()
}

// ShortQuery is bench_capi.cpp's short_query.
const ShortQuery = "central bank raises its main interest rate by half a point citing inflation"

// Documents is the size of the benchmark state.
const Documents = 200

// NewGoState is the benchmark state built through package retold.
func NewGoState() (*retold.Deduplicator, error) {
	d, err := retold.New()
	if err != nil {
		return nil, err
	}
	for i := 0; i < Documents; i++ {
		if _, err := d.Add(retold.Document{ID: "doc-" + strconv.Itoa(i), Text: Synthetic(i), Timestamp: time.Unix(int64(i), 0)}); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// Raw is the same state held by a bare C handle, called through cgo with no wrapper: the
// baseline of the binding's own cost. Not safe for concurrent use (one goroutine, as a
// benchmark runs it).
type Raw struct {
	h      *C.retold_dedup
	text   *C.char // ShortQuery in C memory
	tlen   C.uint64_t
	id     *C.char // "doc-100"
	stored *C.char // Synthetic(7)
	slen   C.uint64_t
	list   C.retold_match_list
	query  C.retold_query_options
}

// NewRawState builds the state through the C ABI directly.
func NewRawState() (*Raw, error) {
	r := &Raw{}
	var o C.retold_dedup_options
	if C.retold_dedup_options_init(&o, C.uint32_t(unsafe.Sizeof(o))) != 0 ||
		C.retold_dedup_new(&r.h, &o) != 0 {
		return nil, errors.New(C.GoString(C.retold_last_error()))
	}
	for i := 0; i < Documents; i++ {
		id := C.CString("doc-" + strconv.Itoa(i))
		text := Synthetic(i)
		ctext := C.CString(text)
		var doc C.retold_document
		doc.struct_size = C.uint32_t(unsafe.Sizeof(doc))
		doc.id = id
		doc.text = ctext
		doc.text_len = C.uint64_t(len(text))
		doc.timestamp = C.int64_t(i)
		rc := C.retold_dedup_add(r.h, &doc, nil) // Go memory holding C pointers only
		C.free(unsafe.Pointer(id))
		C.free(unsafe.Pointer(ctext))
		if rc != 0 {
			r.Close()
			return nil, errors.New(C.GoString(C.retold_last_error()))
		}
	}
	r.text = C.CString(ShortQuery)
	r.tlen = C.uint64_t(len(ShortQuery))
	r.id = C.CString("doc-100")
	r.stored = C.CString(Synthetic(7))
	r.slen = C.uint64_t(len(Synthetic(7)))
	r.list.struct_size = C.uint32_t(unsafe.Sizeof(r.list))
	r.list.item_size = C.uint32_t(unsafe.Sizeof(C.retold_match{}))
	C.retold_query_options_init(&r.query, C.uint32_t(unsafe.Sizeof(r.query)))
	return r, nil
}

// QueryShort runs retold_dedup_query(ShortQuery) and disposes the list; it gives the count.
func (r *Raw) QueryShort() int {
	C.retold_dedup_query(r.h, r.text, r.tlen, &r.query, &r.list)
	n := int(r.list.count)
	C.retold_match_list_dispose(&r.list)
	return n
}

// QueryStored runs retold_dedup_query on stored document 7's text (one match).
func (r *Raw) QueryStored() int {
	C.retold_dedup_query(r.h, r.stored, r.slen, &r.query, &r.list)
	n := int(r.list.count)
	C.retold_match_list_dispose(&r.list)
	return n
}

// Contains runs retold_dedup_contains("doc-100").
func (r *Raw) Contains() bool {
	var out C.int32_t
	C.retold_dedup_contains(r.h, r.id, &out)
	return out != 0
}

// Close frees the handle and the strings.
func (r *Raw) Close() {
	C.retold_dedup_free(r.h)
	C.free(unsafe.Pointer(r.text))
	C.free(unsafe.Pointer(r.id))
	C.free(unsafe.Pointer(r.stored))
	r.h, r.text, r.id, r.stored = nil, nil, nil, nil
}
