package retold

// #include <stdlib.h>
// #include <retold/retold.h>
import "C"

import (
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Deduplicator finds retellings online and keeps them as stories (retold::deduplicator through
// the C ABI).
//
// Lifetime: create it with New, NewFromConfig or Load and release it with Close, which frees the
// native state (several MiB). A finalizer frees a Deduplicator that was dropped without Close,
// but only at some later garbage collection: call Close.
//
// Thread safety: one Deduplicator may be used from any number of goroutines at once. The C
// library does the locking: queries, lookups, Save and Stats run in parallel; Add, AddBatch,
// Remove and EvictBefore serialize. Close waits for calls in progress in other goroutines;
// calls after it return an error matching ErrClosed.
type Deduplicator struct {
	mu       sync.RWMutex // read-held by every call, write-held by Close
	h        *C.retold_dedup
	embedDim int // the built-in embedder's dimension, 0 without one (structural: fixed)
}

// New creates an empty Deduplicator with the library's defaults changed by opts.
func New(opts ...Option) (*Deduplicator, error) {
	cfg := DefaultConfig()
	for i, o := range opts {
		if o == nil {
			return nil, invalidf("option %d is nil", i)
		}
		if err := o.apply(&cfg); err != nil {
			return nil, err
		}
	}
	return NewFromConfig(cfg)
}

// NewFromConfig creates an empty Deduplicator with the given configuration (start from
// DefaultConfig()). ErrInvalid names the first field out of range.
func NewFromConfig(cfg Config) (*Deduplicator, error) {
	o, a, err := cfg.toC()
	if err != nil {
		return nil, err
	}
	defer a.free()
	var h *C.retold_dedup
	err = withThread(func() error {
		if rc := C.retold_dedup_new(&h, o); rc != 0 {
			return lastError(rc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return wrapDedup(h)
}

// Load opens a state written by Save. Every option keeps its saved value except those set by
// overrides (runtime options only: structural ones are fixed when a state is created).
// ErrNotFound when dir holds no state, ErrCorrupted for a damaged one, ErrInvalid for an
// override out of range.
func Load(dir string, overrides ...RuntimeOption) (*Deduplicator, error) {
	cdir, err := cstringArg("state directory", dir)
	if err != nil {
		return nil, err
	}
	var opts *C.retold_dedup_options
	var mask uint64
	if len(overrides) > 0 {
		cfg := DefaultConfig()
		for i, o := range overrides {
			if o == nil {
				return nil, invalidf("override %d is nil", i)
			}
			if err := o.apply(&cfg); err != nil {
				return nil, err
			}
			mask |= o.fields()
		}
		o, a, err := cfg.toC()
		if err != nil {
			return nil, err
		}
		defer a.free()
		opts = o
	}
	var h *C.retold_dedup
	err = withThread(func() error {
		if rc := C.retold_dedup_load(&h, cptr(cdir), opts, C.uint64_t(mask)); rc != 0 {
			return lastError(rc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return wrapDedup(h)
}

func wrapDedup(h *C.retold_dedup) (*Deduplicator, error) {
	d := &Deduplicator{h: h}
	cfg, err := d.Config()
	if err != nil {
		C.retold_dedup_free(h)
		return nil, err
	}
	if cfg.Embedding == EmbeddingBuiltin {
		d.embedDim = cfg.Embedder.Dimension
	}
	runtime.SetFinalizer(d, (*Deduplicator).Close)
	return d, nil
}

// Close releases the native state. It waits for calls running in other goroutines; later calls
// return an error matching ErrClosed. Idempotent; always returns nil (it implements io.Closer).
func (d *Deduplicator) Close() error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	h := d.h
	d.h = nil
	d.mu.Unlock()
	if h != nil {
		C.retold_dedup_free(h)
		runtime.SetFinalizer(d, nil)
	}
	return nil
}

// enter holds the handle open for one call and the goroutine on its OS thread (the library's
// error message is per thread). Every enter is paired with leave.
func (d *Deduplicator) enter() (*C.retold_dedup, error) {
	if d == nil {
		return nil, invalidf("Deduplicator is nil")
	}
	d.mu.RLock()
	if d.h == nil {
		d.mu.RUnlock()
		return nil, closedError("Deduplicator")
	}
	lockThread()
	return d.h, nil
}

func (d *Deduplicator) leave() {
	unlockThread()
	d.mu.RUnlock()
}

// call runs f on the open handle and maps a failing status to its error.
func (d *Deduplicator) call(f func(h *C.retold_dedup) C.int) error {
	h, err := d.enter()
	if err != nil {
		return err
	}
	defer d.leave()
	if rc := f(h); rc != 0 {
		return lastError(rc)
	}
	return nil
}

func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }

// --- adding

// documentBytes is the C memory one document needs in an arena (with alignment slack).
func documentBytes(doc *Document) uintptr {
	return unsafe.Sizeof(C.retold_document{}) + 16 + uintptr(len(doc.ID)+1+len(doc.Text)+len(doc.Title)+
		len(doc.Source)+1) + 4*uintptr(len(doc.Vector))
}

func checkDocument(doc *Document) error {
	if err := checkCString("document id", doc.ID); err != nil {
		return err
	}
	if err := checkCString("source of document "+quote(doc.ID), doc.Source); err != nil {
		return err
	}
	if len(doc.Vector) > 0xFFFFFFFF {
		return invalidf("vector of document %s has %d floats (more than 2^32-1)", quote(doc.ID), len(doc.Vector))
	}
	return nil
}

// fillDocument writes doc into *c with its strings copied into a.
func fillDocument(c *C.retold_document, doc *Document, a *cArena) {
	*c = C.retold_document{}
	c.struct_size = C.uint32_t(unsafe.Sizeof(*c))
	c.id = a.cstring(doc.ID)
	c.text = a.text(doc.Text)
	c.text_len = C.uint64_t(len(doc.Text))
	if doc.Title != "" {
		c.title = a.text(doc.Title)
		c.title_len = C.uint64_t(len(doc.Title))
	}
	if doc.Source != "" {
		c.source = a.cstring(doc.Source)
	}
	c.timestamp = C.int64_t(unixSeconds(doc.Timestamp))
	if len(doc.Vector) > 0 {
		c.vector = a.floats(doc.Vector)
		c.vector_dim = C.uint32_t(len(doc.Vector))
	}
}

func addResultFromC(r *C.retold_add_result) AddResult {
	out := AddResult{ClusterID: uint64(r.cluster_id), NewStory: r.new_story != 0, Candidates: uint64(r.candidates)}
	if r.has_leader != 0 {
		s := scoresFromC(&r.leader_scores)
		out.Leader = &s
		if r.leader_id != nil {
			out.LeaderID = C.GoString(r.leader_id)
		}
	}
	return out
}

// Add adds one report and assigns it to a story. Nothing is stored on failure: ErrDuplicate,
// ErrInvalidUTF8, ErrTooLarge, ErrInvalid (missing, too long or NUL-holding id),
// ErrIncompatible (a vector of the wrong dimension, or none with EmbeddingExternal).
func (d *Deduplicator) Add(doc Document) (AddResult, error) {
	if err := checkDocument(&doc); err != nil {
		return AddResult{}, err
	}
	a := newArena(documentBytes(&doc))
	defer a.free()
	cdoc := (*C.retold_document)(a.alloc(unsafe.Sizeof(C.retold_document{}), 8))
	fillDocument(cdoc, &doc, &a)
	var res C.retold_add_result
	res.struct_size = C.uint32_t(unsafe.Sizeof(res))
	h, err := d.enter()
	if err != nil {
		return AddResult{}, err
	}
	defer d.leave()
	if rc := C.retold_dedup_add(h, cdoc, &res); rc != 0 {
		return AddResult{}, lastError(rc)
	}
	return addResultFromC(&res), nil
}

// batchChunk bounds the C memory of one AddBatch round trip.
const batchChunk = 1024

// AddBatch adds documents in order, as Add on each would, computing their features on the
// library's worker threads (WithThreads). A bad document does not stop the others: its
// AddResult.Err says why it was skipped and names it by its index in docs. The error return is
// for the call itself (a closed Deduplicator); the results of documents already added are
// returned with it.
func (d *Deduplicator) AddBatch(docs []Document) ([]AddResult, error) {
	out := make([]AddResult, len(docs))
	for start := 0; start < len(docs); start += batchChunk {
		end := start + batchChunk
		if end > len(docs) {
			end = len(docs)
		}
		if err := d.addChunk(docs[start:end], out[start:end], start); err != nil {
			return out[:start], err
		}
	}
	return out, nil
}

func (d *Deduplicator) addChunk(docs []Document, out []AddResult, offset int) error {
	sent := make([]int, 0, len(docs)) // index in docs of each document handed to the library
	size := uintptr(0)
	for i := range docs {
		if err := checkDocument(&docs[i]); err != nil {
			out[i] = AddResult{Err: prefixIndex(err, offset+i)}
			continue
		}
		sent = append(sent, i)
		size += documentBytes(&docs[i])
	}
	if len(sent) == 0 {
		return nil
	}
	a := newArena(size)
	defer a.free()
	cdocs := unsafe.Slice((*C.retold_document)(a.alloc(uintptr(len(sent))*unsafe.Sizeof(C.retold_document{}), 8)), len(sent))
	for k, i := range sent {
		fillDocument(&cdocs[k], &docs[i], &a)
	}
	results := make([]C.retold_add_result, len(sent))
	for k := range results {
		results[k].struct_size = C.uint32_t(unsafe.Sizeof(results[k]))
	}
	var added C.uint64_t
	h, err := d.enter()
	if err != nil {
		return err
	}
	defer d.leave()
	if rc := C.retold_dedup_add_batch(h, &cdocs[0], C.uint64_t(len(sent)), &results[0], &added); rc != 0 {
		return lastError(rc)
	}
	// The messages live in this thread's storage until its next add: converted while still
	// holding the thread.
	for k, i := range sent {
		r := &results[k]
		if r.status == 0 {
			out[i] = addResultFromC(r)
			continue
		}
		msg := Code(r.status).Name()
		if r.error != nil {
			msg = C.GoString(r.error)
		}
		// The library counts the documents it was sent; the caller counts its slice.
		if strings.HasPrefix(msg, "docs[") {
			if j := strings.Index(msg, "]: "); j > 0 {
				msg = msg[j+3:]
			}
		}
		out[i] = AddResult{Err: &Error{Code: Code(r.status), Message: "docs[" + itoa(int64(offset+i)) + "]: " + msg}}
	}
	return nil
}

func prefixIndex(err error, i int) error {
	e := err.(*Error)
	return &Error{Code: e.Code, Message: "docs[" + itoa(int64(i)) + "]: " + e.Message}
}

// --- mutation

// Remove removes a stored report; ErrNotFound when the id is unknown. Its story keeps its id.
func (d *Deduplicator) Remove(id string) error {
	cid, err := cstringArg("id", id)
	if err != nil {
		return err
	}
	return d.call(func(h *C.retold_dedup) C.int { return C.retold_dedup_remove(h, cptr(cid)) })
}

// EvictBefore removes every report published before cutoff (retention) and returns how many.
func (d *Deduplicator) EvictBefore(cutoff time.Time) (uint64, error) {
	var n C.uint64_t
	err := d.call(func(h *C.retold_dedup) C.int {
		return C.retold_dedup_evict_before(h, C.int64_t(unixSeconds(cutoff)), &n)
	})
	return uint64(n), err
}

// --- persistence

// Save writes the whole state into directory dir (created if missing) atomically: a crash
// leaves the previous state or the new one. ErrIO on failure. ErrConflict, with nothing
// written, when dir holds a state other than the one this Deduplicator loaded from it or last
// saved there (another writer saved in between, or a state it never loaded); SaveReplace
// overwrites on purpose. Queries go on while saving; adds wait.
func (d *Deduplicator) Save(dir string) error {
	cdir, err := cstringArg("state directory", dir)
	if err != nil {
		return err
	}
	return d.call(func(h *C.retold_dedup) C.int { return C.retold_dedup_save(h, cptr(cdir)) })
}

// SaveReplace is Save that replaces whatever state dir holds (still atomically).
func (d *Deduplicator) SaveReplace(dir string) error {
	cdir, err := cstringArg("state directory", dir)
	if err != nil {
		return err
	}
	return d.call(func(h *C.retold_dedup) C.int { return C.retold_dedup_save_replace(h, cptr(cdir)) })
}

func quote(s string) string { return "'" + s + "'" }
