package bench

import (
	"runtime"
	"sync"
	"syscall"
	"testing"

	retold "github.com/retold/retold/bindings/go"
)

var (
	once     sync.Once
	goState  *retold.Deduplicator
	rawState *Raw
	setupErr error
)

func states(b *testing.B) (*retold.Deduplicator, *Raw) {
	once.Do(func() {
		if goState, setupErr = NewGoState(); setupErr == nil {
			rawState, setupErr = NewRawState()
		}
	})
	if setupErr != nil {
		b.Fatal(setupErr)
	}
	return goState, rawState
}

// The two states hold the same documents, so both sides find the same matches.
func TestStatesAgree(t *testing.T) {
	g, err := NewGoState()
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	r, err := NewRawState()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, q := range []struct {
		text string
		raw  func() int
	}{{ShortQuery, r.QueryShort}, {Synthetic(7), r.QueryStored}} {
		ms, err := g.Query(q.text, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != q.raw() {
			t.Fatalf("query %.20q: Go %d matches, raw C %d", q.text, len(ms), q.raw())
		}
	}
	if in, _ := g.Contains("doc-100"); !in || !r.Contains() {
		t.Fatal("doc-100 is not stored")
	}
}

// loop runs f b.N times on one OS thread and reports, besides Go's wall-clock ns/op, the CPU
// time of that thread per call (cpu-ns/op), which a loaded machine disturbs far less; Google
// Benchmark's CPU column (bench_capi) is the same measure for C++.
func loop(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before, after syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &before); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f()
	}
	b.StopTimer()
	if err := syscall.Getrusage(1, &after); err != nil {
		b.Fatal(err)
	}
	cpu := func(r *syscall.Rusage) int64 { return r.Utime.Nano() + r.Stime.Nano() }
	b.ReportMetric(float64(cpu(&after)-cpu(&before))/float64(b.N), "cpu-ns/op")
}

// A query of a short 12-word text (normalize, shingle, sign, embed, both indexes, scoring):
// the call whose overhead the issue asks for.
func BenchmarkQueryShort(b *testing.B) {
	g, r := states(b)
	b.Run("cgo", func(b *testing.B) {
		loop(b, func() { r.QueryShort() })
	})
	b.Run("go", func(b *testing.B) {
		loop(b, func() {
			if _, err := g.Query(ShortQuery, nil); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// A query of a stored 80-word text (one match to convert).
func BenchmarkQueryStored(b *testing.B) {
	g, r := states(b)
	text := Synthetic(7)
	b.Run("cgo", func(b *testing.B) {
		loop(b, func() { r.QueryStored() })
	})
	b.Run("go", func(b *testing.B) {
		loop(b, func() {
			if _, err := g.Query(text, nil); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// The cheapest call (one hash lookup under a shared lock): the fixed cost of a call.
func BenchmarkContains(b *testing.B) {
	g, r := states(b)
	b.Run("cgo", func(b *testing.B) {
		loop(b, func() { r.Contains() })
	})
	b.Run("go", func(b *testing.B) {
		loop(b, func() {
			if _, err := g.Contains("doc-100"); err != nil {
				b.Fatal(err)
			}
		})
	})
}
