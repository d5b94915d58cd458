// Package retold_test is the binding's test suite: it uses the package as a program would, from
// outside (run it with ../run_tests.sh BUILD_DIR, which sets the cgo flags and the paths below).
package retold_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	retold "github.com/retold/retold/bindings/go"
)

const (
	rate = "The central bank of Examplestan raised its main interest rate by half a percentage point " +
		"on Tuesday to 7.5 percent, citing persistent inflation in food and energy prices. Governor " +
		"Ana Petrova told reporters in the capital after the board meeting that further increases " +
		"could not be ruled out if the currency kept weakening against the dollar and the euro."
	rateCopy = rate + " Analysts polled last week had expected the move."
	football = "Riverside United beat Harbour City 3-1 in the cup semi-final on Saturday, with two late " +
		"goals from the substitute striker sealing a place in the final for the first time since " +
		"1998. The coach praised the young squad and said the club would now aim for the title."
	weather = "Forecasters expect heavy snow across the northern mountains over the weekend, with up to " +
		"forty centimetres on the high passes, and warned drivers to carry chains. Temperatures in " +
		"the lowlands will stay just above freezing until Wednesday, when a warmer front arrives."
)

// moduleDir is bindings/go (the tests run in bindings/go/tests).
func moduleDir(t testing.TB) string {
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func seedsDir(t testing.TB) string {
	dir := os.Getenv("RETOLD_SEEDS_DIR")
	if dir == "" {
		dir = filepath.Join(moduleDir(t), "..", "..", "seeds")
	}
	if _, err := os.Stat(filepath.Join(dir, "corpus.jsonl")); err != nil {
		t.Fatalf("seed corpus not found in %s (set RETOLD_SEEDS_DIR): %v", dir, err)
	}
	return dir
}

// newDedup is a Deduplicator closed when the test ends.
func newDedup(t testing.TB, opts ...retold.Option) *retold.Deduplicator {
	t.Helper()
	d, err := retold.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func mustAdd(t testing.TB, d *retold.Deduplicator, doc retold.Document) retold.AddResult {
	t.Helper()
	r, err := d.Add(doc)
	if err != nil {
		t.Fatalf("Add(%s): %v", doc.ID, err)
	}
	return r
}

func unix(s int64) time.Time { return time.Unix(s, 0) }

// wantCode fails unless err is an *Error with the code, matched by errors.Is on the sentinel.
func wantCode(t testing.TB, err error, sentinel error, code retold.Code) *retold.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want %v, got nil", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("want errors.Is(err, %v), got %v", sentinel, err)
	}
	var e *retold.Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *retold.Error, got %T: %v", err, err)
	}
	if e.Code != code {
		t.Fatalf("want code %v, got %v (%v)", code, e.Code, err)
	}
	if e.Message == "" {
		t.Fatalf("error without a message: %#v", e)
	}
	return e
}

type seedRecord struct {
	ID        string `json:"id"`
	Source    string `json:"source"`
	Timestamp string `json:"timestamp"`
	Title     string `json:"title"`
	Text      string `json:"text"`
}

func loadCorpus(t testing.TB) []retold.Document {
	f, err := os.Open(filepath.Join(seedsDir(t), "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var docs []retold.Document
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var r seedRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("corpus.jsonl: %v", err)
		}
		ts, err := time.Parse(time.RFC3339, r.Timestamp)
		if err != nil {
			t.Fatalf("corpus.jsonl %s: timestamp: %v", r.ID, err)
		}
		docs = append(docs, retold.Document{ID: r.ID, Text: r.Text, Title: r.Title, Source: r.Source, Timestamp: ts})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("corpus.jsonl is empty")
	}
	return docs
}

type goldenStory struct {
	Name              string   `json:"name"`
	Members           []string `json:"members"`
	Representative    string   `json:"representative"`
	ParaphraseMembers []string `json:"paraphrase_members"`
}

type golden struct {
	SourcePriority []string      `json:"source_priority"`
	Stories        []goldenStory `json:"stories"`
}

func loadGolden(t testing.TB) golden {
	raw, err := os.ReadFile(filepath.Join(seedsDir(t), "expected_clusters.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("expected_clusters.json: %v", err)
	}
	return g
}

// rssBytes is this process's resident set size (Linux /proc).
func rssBytes(t testing.TB) int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("needs /proc: %v", err)
	}
	fields := strings.Fields(string(raw))
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

// settle runs the collector until finalizers had their chance and returns memory to the OS.
func settle() {
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
