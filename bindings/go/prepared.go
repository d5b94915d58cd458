package retold

// #include <stdlib.h>
// #include <retold/retold.h>
import "C"

import (
	"runtime"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// Prepared is one document's features computed with a deduplicator's configuration (signature,
// LSH band keys, evidence sketch, embedder terms or the normalized caller vector, title,
// snippet, id, timestamp, source) and a fingerprint of that configuration; it holds no text.
// A distributed run prepares documents where they are read, moves MarshalBinary's bytes and
// adds them elsewhere with AddPreparedBatch (docs/scaling.md). Make one with
// Deduplicator.Prepare or ParsePrepared and release it with Close (a finalizer frees a
// forgotten one at some later garbage collection). Immutable and thread-safe: any number of
// goroutines may use one at once; Close waits for them.
type Prepared struct {
	mu sync.RWMutex
	h  *C.retold_prepared
}

func wrapPrepared(h *C.retold_prepared) *Prepared {
	p := &Prepared{h: h}
	runtime.SetFinalizer(p, (*Prepared).Close)
	return p
}

// Prepare computes doc's features with this deduplicator's configuration. Nothing is stored
// and the library takes no lock, so any number of goroutines may prepare at once, also while
// others add. It fails as Add would for the document (ErrInvalid, ErrInvalidUTF8, ErrTooLarge,
// ErrIncompatible for a missing or wrong vector).
func (d *Deduplicator) Prepare(doc Document) (*Prepared, error) {
	if err := checkDocument(&doc); err != nil {
		return nil, err
	}
	a := newArena(documentBytes(&doc))
	defer a.free()
	cdoc := (*C.retold_document)(a.alloc(unsafe.Sizeof(C.retold_document{}), 8))
	fillDocument(cdoc, &doc, &a)
	var out *C.retold_prepared
	if err := d.call(func(h *C.retold_dedup) C.int { return C.retold_dedup_prepare(&out, h, cdoc) }); err != nil {
		return nil, err
	}
	return wrapPrepared(out), nil
}

// ParsePrepared parses bytes written by MarshalBinary (in this process or another).
// ErrCorrupted names what is wrong with a damaged or truncated blob; ErrIncompatible for
// another format version.
func ParsePrepared(data []byte) (*Prepared, error) {
	var h *C.retold_prepared
	var ptr *C.uint8_t
	if len(data) > 0 {
		ptr = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	err := withThread(func() error {
		if rc := C.retold_prepared_deserialize(&h, ptr, C.uint64_t(len(data))); rc != 0 {
			return lastError(rc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return wrapPrepared(h), nil
}

// Close releases the prepared document. Idempotent; always returns nil.
func (p *Prepared) Close() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	h := p.h
	p.h = nil
	p.mu.Unlock()
	if h != nil {
		C.retold_prepared_free(h)
		runtime.SetFinalizer(p, nil)
	}
	return nil
}

func (p *Prepared) enter() (*C.retold_prepared, error) {
	if p == nil {
		return nil, invalidf("Prepared is nil")
	}
	p.mu.RLock()
	if p.h == nil {
		p.mu.RUnlock()
		return nil, closedError("Prepared")
	}
	return p.h, nil
}

func (p *Prepared) leave() { p.mu.RUnlock() }

// MarshalBinary gives the portable serialized form (magic, format version, configuration
// fingerprint, little-endian fields, checksum). It implements encoding.BinaryMarshaler.
func (p *Prepared) MarshalBinary() ([]byte, error) {
	h, err := p.enter()
	if err != nil {
		return nil, err
	}
	defer p.leave()
	var out []byte
	err = withThread(func() error {
		var n C.uint64_t
		if rc := C.retold_prepared_serialize(h, nil, 0, &n); rc != 0 && rc != C.RETOLD_EBUFSIZE {
			return lastError(rc)
		}
		out = make([]byte, int(n))
		if n == 0 {
			return nil
		}
		if rc := C.retold_prepared_serialize(h, (*C.uint8_t)(unsafe.Pointer(&out[0])), n, &n); rc != 0 {
			return lastError(rc)
		}
		return nil
	})
	return out, err
}

// BandKeys gives the LSH band keys of the signature: keys[i] is band i's bucket. Two documents
// are LSH candidates exactly when they share a (band, key) and their estimated Jaccard reaches
// the LSH threshold. Empty for a document without shingles.
func (p *Prepared) BandKeys() ([]uint32, error) {
	h, err := p.enter()
	if err != nil {
		return nil, err
	}
	defer p.leave()
	var out []uint32
	err = withThread(func() error {
		var n C.uint64_t
		if rc := C.retold_prepared_band_keys(h, nil, 0, &n); rc != 0 && rc != C.RETOLD_EBUFSIZE {
			return lastError(rc)
		}
		out = make([]uint32, int(n))
		if n == 0 {
			return nil
		}
		if rc := C.retold_prepared_band_keys(h, (*C.uint32_t)(unsafe.Pointer(&out[0])), n, &n); rc != 0 {
			return lastError(rc)
		}
		return nil
	})
	return out, err
}

// AddPreparedBatch adds prepared documents in order: the stories, scores and results are
// exactly those AddBatch gives for the same documents (a duplicate id gets an AddResult.Err and
// the others go on). The whole call fails, storing nothing, with ErrIncompatible when a
// document was prepared with another configuration, or ErrClosed when one is closed.
func (d *Deduplicator) AddPreparedBatch(docs []*Prepared) ([]AddResult, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	// Each distinct Prepared is held open for the call, in address order, so that two calls
	// sharing documents and a Close waiting on them cannot deadlock.
	distinct := make([]*Prepared, 0, len(docs))
	seen := make(map[*Prepared]bool, len(docs))
	for i, p := range docs {
		if p == nil {
			return nil, invalidf("docs[%d] is nil", i)
		}
		if !seen[p] {
			seen[p] = true
			distinct = append(distinct, p)
		}
	}
	sort.Slice(distinct, func(i, j int) bool {
		return uintptr(unsafe.Pointer(distinct[i])) < uintptr(unsafe.Pointer(distinct[j]))
	})
	handles := make(map[*Prepared]*C.retold_prepared, len(distinct))
	for _, p := range distinct {
		h, err := p.enter()
		if err != nil {
			return nil, err // the ones entered before are left by their defers
		}
		handles[p] = h
		defer p.leave()
	}
	// C memory for the handle array: a Go slice of C pointers would do for cgo's rules too, but
	// the arena keeps it off the Go heap like the documents of AddBatch.
	a := newArena(uintptr(len(docs))*unsafe.Sizeof(uintptr(0)) + 16)
	defer a.free()
	cdocs := unsafe.Slice((**C.retold_prepared)(a.alloc(uintptr(len(docs))*unsafe.Sizeof(uintptr(0)), 8)), len(docs))
	for i, p := range docs {
		cdocs[i] = handles[p]
	}
	results := make([]C.retold_add_result, len(docs))
	for k := range results {
		results[k].struct_size = C.uint32_t(unsafe.Sizeof(results[k]))
	}
	var added C.uint64_t
	h, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer d.leave()
	if rc := C.retold_dedup_add_prepared_batch(h, &cdocs[0], C.uint64_t(len(docs)), &results[0], &added); rc != 0 {
		return nil, lastError(rc)
	}
	// The messages live in this thread's storage until its next add: converted while still
	// holding the thread.
	out := make([]AddResult, len(docs))
	for i := range results {
		r := &results[i]
		if r.status == 0 {
			out[i] = addResultFromC(r)
			continue
		}
		msg := Code(r.status).Name()
		if r.error != nil {
			msg = C.GoString(r.error)
		}
		if !strings.HasPrefix(msg, "docs[") {
			msg = "docs[" + itoa(int64(i)) + "]: " + msg
		}
		out[i] = AddResult{Err: &Error{Code: Code(r.status), Message: msg}}
	}
	return out, nil
}
