package retold_test

import (
	"errors"
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	retold "github.com/retold/retold/bindings/go"
)

const writers, readers, perWriter = 4, 4, 40

func randomText(writer, i int) string {
	rnd := rand.New(rand.NewSource(int64(writer*100003 + i)))
	words := make([]string, 60)
	for w := range words {
		b := make([]byte, 4+rnd.Intn(6))
		for k := range b {
			b[k] = byte('a' + rnd.Intn(26))
		}
		words[w] = string(b)
	}
	return strings.Join(words, " ")
}

// One Deduplicator shared by many goroutines (on several OS threads): writers add originals and
// copies (some through AddBatch), readers query, look up and compute features meanwhile.
func TestConcurrentAddsAndQueries(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	d := newDedup(t, retold.WithThreads(2))
	errs := make(chan error, writers+readers)
	var done atomic.Bool
	var wg, rg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				text := randomText(w, i)
				first, err := d.Add(retold.Document{ID: fmt.Sprintf("orig-%d-%d", w, i), Text: text, Timestamp: unix(int64(i + 1))})
				if err != nil {
					errs <- err
					return
				}
				cp := retold.Document{ID: fmt.Sprintf("copy-%d-%d", w, i), Text: text + " with a closing remark", Timestamp: unix(int64(i + 1))}
				var r retold.AddResult
				if i%4 == 0 {
					res, err := d.AddBatch([]retold.Document{cp})
					if err != nil {
						errs <- err
						return
					}
					r = res[0]
				} else if r, err = d.Add(cp); err != nil {
					errs <- err
					return
				}
				if !r.OK() || r.NewStory || r.ClusterID != first.ClusterID {
					errs <- fmt.Errorf("copy %s: %+v, original in %d", cp.ID, r, first.ClusterID)
					return
				}
			}
		}(w)
	}
	for k := 0; k < readers; k++ {
		rg.Add(1)
		go func(k int) {
			defer rg.Done()
			last := uint64(0)
			for round := 0; !done.Load() || round < 5; round++ {
				w, i := round%writers, (round*7+k)%perWriter
				text := randomText(w, i)
				id := fmt.Sprintf("orig-%d-%d", w, i)
				if _, err := d.Query(text, nil); err != nil {
					errs <- err
					return
				}
				if in, err := d.Contains(id); err != nil {
					errs <- err
					return
				} else if in {
					ms, err := d.Query(text, nil)
					if err != nil {
						errs <- err
						return
					}
					found := false
					for _, m := range ms {
						found = found || m.ID == id
					}
					if !found {
						errs <- fmt.Errorf("stored %s not found by its own text: %+v", id, ms)
						return
					}
					if _, err := d.ClusterOf(id); err != nil {
						errs <- err
						return
					}
					if _, err := d.RepresentativeOf(id); err != nil {
						errs <- err
						return
					}
				}
				st, err := d.Stats()
				if err != nil || st.Documents < last {
					errs <- fmt.Errorf("stats went back: %d after %d (%v)", st.Documents, last, err)
					return
				}
				last = st.Documents
				if round%10 == 0 {
					if _, err := d.Clusters(2); err != nil {
						errs <- err
						return
					}
					sig, err := d.ComputeSignature(text)
					if err != nil {
						errs <- err
						return
					}
					sig.Close()
					if _, err := d.ComputeEmbedding(text); err != nil {
						errs <- err
						return
					}
				}
			}
		}(k)
	}
	wg.Wait()
	done.Store(true)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	st, _ := d.Stats()
	if st.Documents != 2*writers*perWriter || st.Clusters != writers*perWriter || st.MultiMemberClusters != st.Clusters {
		t.Fatalf("stats %+v", st)
	}
	for w := 0; w < writers; w++ {
		for i := 0; i < perWriter; i++ {
			a, _ := d.ClusterOf(fmt.Sprintf("orig-%d-%d", w, i))
			b, _ := d.ClusterOf(fmt.Sprintf("copy-%d-%d", w, i))
			if a != b || a == 0 {
				t.Fatalf("orig-%d-%d in %d, its copy in %d", w, i, a, b)
			}
		}
	}
}

// Close waits for calls in progress; calls after it fail with ErrClosed, none crashes.
func TestCloseWhileGoroutinesQuery(t *testing.T) {
	d, err := retold.New()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		mustAdd(t, d, retold.Document{ID: fmt.Sprintf("d%d", i), Text: randomText(9, i)})
	}
	const n = 6
	var started, wg sync.WaitGroup
	started.Add(n)
	outcomes := make(chan error, n)
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			started.Done()
			for k := 0; ; k++ {
				var err error
				switch k % 3 {
				case 0:
					_, err = d.Query(randomText(9, 3), nil)
				case 1:
					_, err = d.Add(retold.Document{ID: fmt.Sprintf("g%d-%d", g, k), Text: randomText(g, k)})
				default:
					_, err = d.Clusters(0)
				}
				if err != nil {
					outcomes <- err
					return
				}
			}
		}(g)
	}
	started.Wait()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(outcomes)
	count := 0
	for err := range outcomes {
		count++
		if !errors.Is(err, retold.ErrClosed) {
			t.Errorf("want ErrClosed, got %v", err)
		}
	}
	if count != n {
		t.Fatalf("%d goroutines ended, want %d", count, n)
	}
}

// The library keeps the last error per OS thread; goroutines move between threads. Every
// failing call must still carry its own message, also with many goroutines failing at once.
func TestErrorsArePerGoroutine(t *testing.T) {
	d := newDedup(t)
	mustAdd(t, d, retold.Document{ID: "present", Text: rate})
	const n = 16
	var wg sync.WaitGroup
	wrong := make(chan string, n)
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			ghost := fmt.Sprintf("ghost-%d'", g)
			for i := 0; i < 300; i++ {
				err := d.Remove(ghost[:len(ghost)-1])
				var e *retold.Error
				if !errors.As(err, &e) || e.Code != retold.CodeNotFound || !strings.Contains(e.Message, ghost) {
					wrong <- fmt.Sprintf("goroutine %d: %v", g, err)
					return
				}
				if _, err := d.Add(retold.Document{ID: "present", Text: rate}); !errors.Is(err, retold.ErrDuplicate) {
					wrong <- fmt.Sprintf("goroutine %d: duplicate: %v", g, err)
					return
				}
				runtime.Gosched() // invite the scheduler to move us to another thread
			}
		}(g)
	}
	wg.Wait()
	close(wrong)
	for w := range wrong {
		t.Error(w)
	}
}

// Signatures are shared by goroutines too, and closing one waits for its users.
func TestSignaturesSharedByGoroutines(t *testing.T) {
	d := newDedup(t)
	a, _ := d.ComputeSignature(rate)
	b, _ := d.ComputeSignature(rateCopy)
	defer b.Close()
	want, _ := a.Jaccard(b)
	var wg sync.WaitGroup
	bad := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				x, y := a, b
				if g%2 == 1 {
					x, y = b, a
				}
				j, err := x.Jaccard(y)
				if err != nil {
					if !errors.Is(err, retold.ErrClosed) {
						bad <- err
					}
					return
				}
				if j != want {
					bad <- fmt.Errorf("jaccard %v, want %v", j, want)
					return
				}
			}
		}(g)
	}
	a.Close()
	wg.Wait()
	close(bad)
	for err := range bad {
		t.Error(err)
	}
}
