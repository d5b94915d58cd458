package retold

// #include <stdlib.h>
// #include <retold/retold.h>
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// Signature is an immutable MinHash signature with the configuration (seed, length, scheme)
// that made it. Make one with Deduplicator.ComputeSignature or ParseSignature and release it
// with Close (a finalizer frees a forgotten one at some later garbage collection).
// Thread-safe: any number of goroutines may use one at once; Close waits for them.
type Signature struct {
	mu sync.RWMutex
	h  *C.retold_signature
}

func wrapSignature(h *C.retold_signature) *Signature {
	s := &Signature{h: h}
	runtime.SetFinalizer(s, (*Signature).Close)
	return s
}

// ParseSignature parses bytes written by MarshalBinary. ErrCorrupted for bad magic, truncated
// or trailing bytes; ErrIncompatible for an unknown format version or scheme.
func ParseSignature(data []byte) (*Signature, error) {
	var h *C.retold_signature
	var ptr *C.uint8_t
	if len(data) > 0 {
		ptr = (*C.uint8_t)(unsafe.Pointer(&data[0]))
	}
	err := withThread(func() error {
		if rc := C.retold_signature_deserialize(&h, ptr, C.uint64_t(len(data))); rc != 0 {
			return lastError(rc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return wrapSignature(h), nil
}

// Close releases the signature. Idempotent; always returns nil.
func (s *Signature) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	h := s.h
	s.h = nil
	s.mu.Unlock()
	if h != nil {
		C.retold_signature_free(h)
		runtime.SetFinalizer(s, nil)
	}
	return nil
}

func (s *Signature) enter() (*C.retold_signature, error) {
	if s == nil {
		return nil, invalidf("Signature is nil")
	}
	s.mu.RLock()
	if s.h == nil {
		s.mu.RUnlock()
		return nil, closedError("Signature")
	}
	return s.h, nil
}

func (s *Signature) leave() { s.mu.RUnlock() }

// Values gives the num_hashes MinHash values.
func (s *Signature) Values() ([]uint32, error) {
	h, err := s.enter()
	if err != nil {
		return nil, err
	}
	defer s.leave()
	var out []uint32
	err = withThread(func() error {
		var n C.uint64_t
		if rc := C.retold_signature_values(h, nil, 0, &n); rc != 0 && rc != C.RETOLD_EBUFSIZE {
			return lastError(rc)
		}
		out = make([]uint32, int(n))
		if n == 0 {
			return nil
		}
		if rc := C.retold_signature_values(h, (*C.uint32_t)(unsafe.Pointer(&out[0])), n, &n); rc != 0 {
			return lastError(rc)
		}
		return nil
	})
	return out, err
}

// MarshalBinary gives the portable serialized form (fixed little-endian layout with magic,
// format version, scheme and seed). It implements encoding.BinaryMarshaler.
func (s *Signature) MarshalBinary() ([]byte, error) {
	h, err := s.enter()
	if err != nil {
		return nil, err
	}
	defer s.leave()
	var out []byte
	err = withThread(func() error {
		var n C.uint64_t
		if rc := C.retold_signature_serialize(h, nil, 0, &n); rc != 0 && rc != C.RETOLD_EBUFSIZE {
			return lastError(rc)
		}
		out = make([]byte, int(n))
		if n == 0 {
			return nil
		}
		if rc := C.retold_signature_serialize(h, (*C.uint8_t)(unsafe.Pointer(&out[0])), n, &n); rc != 0 {
			return lastError(rc)
		}
		return nil
	})
	return out, err
}

// Jaccard gives the estimated Jaccard similarity of s and other; ErrIncompatible when they were
// made with different configurations.
func (s *Signature) Jaccard(other *Signature) (float64, error) {
	// Both are held open; in address order, so two goroutines comparing the same pair in
	// opposite orders cannot deadlock with a Close waiting on either.
	first, second := s, other
	if other != nil && s != nil && uintptr(unsafe.Pointer(other)) < uintptr(unsafe.Pointer(s)) {
		first, second = other, s
	}
	h1, err := first.enter()
	if err != nil {
		return 0, err
	}
	defer first.leave()
	h2 := h1
	if second != first {
		if h2, err = second.enter(); err != nil {
			return 0, err
		}
		defer second.leave()
	}
	if first != s {
		h1, h2 = h2, h1
	}
	var out C.double
	err = withThread(func() error {
		if rc := C.retold_signature_jaccard(h1, h2, &out); rc != 0 {
			return lastError(rc)
		}
		return nil
	})
	return float64(out), err
}
