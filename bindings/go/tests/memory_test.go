package retold_test

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"

	retold "github.com/retold/retold/bindings/go"
)

// Memory does not grow over many create/add/free cycles or many result-returning calls. The
// bounds are far below what a leak of one Deduplicator (megabytes: frequency table, indexes),
// one result list or one signature per cycle would add; the growth is in the failure message.

func cycle(t testing.TB, i int, closeIt bool) {
	d, err := retold.New()
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, d, retold.Document{ID: fmt.Sprint("a", i), Text: rate, Timestamp: unix(1), Source: "Wire"})
	mustAdd(t, d, retold.Document{ID: fmt.Sprint("b", i), Text: rateCopy, Timestamp: unix(2)})
	if _, err := d.AddBatch([]retold.Document{{ID: fmt.Sprint("c", i), Text: football}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Query(rate, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Clusters(0); err != nil {
		t.Fatal(err)
	}
	if closeIt {
		d.Close()
	}
}

// measure runs f warmup times, then cycles times, and gives the RSS growth over the second part.
// The goroutine stays on one OS thread: glibc gives each thread that allocates its own arena and
// keeps a freed frequency table (4 MiB) in each, which would show as steps of 4 MiB whenever the
// goroutine moved to a thread it had not used yet.
func measure(t *testing.T, warmup, cycles int, f func(i int)) int64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := 0; i < warmup; i++ { // allocator caches, Go heap growth
		f(i)
	}
	settle()
	debug.FreeOSMemory()
	before := rssBytes(t)
	for i := 0; i < cycles; i++ {
		f(warmup + i)
	}
	settle()
	debug.FreeOSMemory()
	return rssBytes(t) - before
}

func TestCreateAddFreeCyclesDoNotGrow(t *testing.T) {
	grown := measure(t, 1000, 2000, func(i int) { cycle(t, i, true) })
	t.Logf("RSS grew by %.2f MiB over 2000 create/add/query/free cycles", float64(grown)/(1<<20))
	if grown > 8<<20 {
		t.Fatalf("RSS grew by %.1f MiB over 2000 cycles", float64(grown)/(1<<20))
	}
}

// Without Close the finalizer frees each Deduplicator at a later collection: memory stays
// bounded (a leak would hold every one of them: about 4 MiB each). The collector does not see C
// memory, so about the last ten cycles' Deduplicators are alive at each collection; RSS reaches
// its plateau within the warm-up.
func TestFinalizerFreesForgottenDeduplicators(t *testing.T) {
	grown := measure(t, 200, 300, func(i int) {
		cycle(t, i, false)
		if i%10 == 9 {
			settle()
		}
	})
	t.Logf("RSS grew by %.2f MiB over 300 cycles without Close", float64(grown)/(1<<20))
	if grown > 24<<20 {
		t.Fatalf("RSS grew by %.1f MiB over 300 unclosed cycles: the finalizer did not free them", float64(grown)/(1<<20))
	}
}

func TestResultListsAndHandlesAreFreed(t *testing.T) {
	d := newDedup(t, retold.WithKeepText(true))
	mustAdd(t, d, retold.Document{ID: "a", Text: rate})
	mustAdd(t, d, retold.Document{ID: "b", Text: rateCopy})
	mustAdd(t, d, retold.Document{ID: "c", Text: football})
	calls := func(int) {
		if _, err := d.Query(rate, &retold.QueryOptions{IncludeRejected: true}); err != nil {
			t.Fatal(err)
		}
		d.Clusters(0)
		cid, _ := d.ClusterOf("a")
		d.Cluster(cid)
		d.Explain("a", "b")
		sig, _ := d.ComputeSignature(rate)
		raw, _ := sig.MarshalBinary()
		sig.Close()
		back, _ := retold.ParseSignature(raw)
		back.Close()
		d.RepresentativeOf("b")
		d.Stats()
		d.Config()
		if _, err := d.ClusterOf("missing"); !errors.Is(err, retold.ErrNotFound) {
			t.Fatal(err)
		}
	}
	grown := measure(t, 2000, 20000, calls)
	t.Logf("RSS grew by %.2f MiB over 20000 call sets", float64(grown)/(1<<20))
	// a leak of even 200 bytes per call set (one list, one signature) would show as 4 MB
	if grown > 4<<20 {
		t.Fatalf("RSS grew by %.2f MiB over 20000 call sets", float64(grown)/(1<<20))
	}
}
