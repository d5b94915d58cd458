// A nightly job: reads reports as JSONL on standard input ({"id", "text", "title", "source",
// "timestamp" (RFC 3339)}), adds them to the state in STATE_DIR (created on the first night),
// forgets reports older than the retention, saves, and prints one line per story that grew.
//
//	go run ./examples/nightly STATE_DIR < day.jsonl
//
// Another writer saving STATE_DIR in between makes Save fail with ErrConflict: nothing is lost,
// the job exits 3 and can simply run again.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	retold "github.com/retold/retold/bindings/go"
)

type record struct {
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	Title     string    `json:"title"`
	Source    string    `json:"source"`
	Timestamp time.Time `json:"timestamp"`
}

const retention = 30 * 24 * time.Hour

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: nightly STATE_DIR < reports.jsonl")
		os.Exit(2)
	}
	dir := os.Args[1]
	// Yesterday's state with today's runtime options (the rest as saved), or a new one.
	d, err := retold.Load(dir, retold.WithTimeWindow(72*time.Hour), retold.WithSourcePriority("Reuters", "AP", "AFP"))
	if errors.Is(err, retold.ErrNotFound) {
		d, err = retold.New(retold.WithTimeWindow(72*time.Hour), retold.WithSourcePriority("Reuters", "AP", "AFP"))
	}
	if err != nil {
		fail(err)
	}
	defer d.Close()

	var docs []retold.Document
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	for line := 1; in.Scan(); line++ {
		if len(in.Bytes()) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(in.Bytes(), &r); err != nil {
			fmt.Fprintf(os.Stderr, "stdin:%d: skipped: %v\n", line, err)
			continue
		}
		docs = append(docs, retold.Document{ID: r.ID, Text: r.Text, Title: r.Title, Source: r.Source, Timestamp: r.Timestamp})
	}
	if err := in.Err(); err != nil {
		fail(err)
	}
	results, err := d.AddBatch(docs)
	if err != nil {
		fail(err)
	}
	grown := map[uint64]bool{}
	added := 0
	newest := time.Time{}
	for i, r := range results {
		if r.Err != nil {
			fmt.Fprintf(os.Stderr, "skipped: %v\n", r.Err) // names docs[i] and the id
			continue
		}
		added++
		if !r.NewStory {
			grown[r.ClusterID] = true
		}
		if docs[i].Timestamp.After(newest) {
			newest = docs[i].Timestamp
		}
	}
	evicted := uint64(0)
	if !newest.IsZero() {
		if evicted, err = d.EvictBefore(newest.Add(-retention)); err != nil {
			fail(err)
		}
	}
	if err := d.Save(dir); err != nil {
		if errors.Is(err, retold.ErrConflict) {
			fmt.Fprintln(os.Stderr, "another run saved", dir, "meanwhile; run again:", err)
			os.Exit(3)
		}
		fail(err)
	}
	stories, err := d.Clusters(2)
	if err != nil {
		fail(err)
	}
	for _, s := range stories {
		if grown[s.ID] {
			fmt.Printf("story %d (%d reports, represented by %s)\n", s.ID, len(s.Members), s.Representative)
		}
	}
	st, _ := d.Stats()
	fmt.Printf("added %d of %d, evicted %d, stored %d in %d stories\n", added, len(docs), evicted, st.Documents, st.Clusters)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "nightly:", err)
	os.Exit(1)
}
