package retold_test

import (
	"errors"
	"reflect"
	"sync"
	"testing"

	retold "github.com/retold/retold/bindings/go"
)

// Prepared documents: features computed in one place (any goroutine, any process), added in
// another, with exactly the results of adding the documents themselves.

func TestPreparedThroughBytesGivesTheStoriesOfAddBatch(t *testing.T) {
	docs := loadCorpus(t)
	direct := newDedup(t)
	want, err := direct.AddBatch(docs)
	if err != nil {
		t.Fatal(err)
	}
	preparer := newDedup(t) // same configuration, nothing added to it
	var prepared []*retold.Prepared
	var first []byte
	for _, doc := range docs {
		p, err := preparer.Prepare(doc)
		if err != nil {
			t.Fatalf("Prepare(%s): %v", doc.ID, err)
		}
		blob, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
		if first == nil {
			first = blob
		}
		q, err := retold.ParsePrepared(blob)
		if err != nil {
			t.Fatalf("ParsePrepared(%s): %v", doc.ID, err)
		}
		defer q.Close()
		prepared = append(prepared, q)
	}
	again, _ := prepared[0].MarshalBinary()
	if !reflect.DeepEqual(again, first) {
		t.Errorf("a parsed blob serializes to other bytes")
	}
	via := newDedup(t)
	got, err := via.AddPreparedBatch(prepared)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Err != nil || w.Err != nil || g.NewStory != w.NewStory || g.ClusterID != w.ClusterID || g.Candidates != w.Candidates {
			t.Errorf("doc %d: prepared %+v, direct %+v", i, g, w)
		}
	}
	for _, doc := range docs {
		a, _ := via.ClusterOf(doc.ID)
		b, _ := direct.ClusterOf(doc.ID)
		if a != b {
			t.Errorf("%s: story %d prepared, %d direct", doc.ID, a, b)
		}
	}
}

func TestPreparedBandKeys(t *testing.T) {
	d := newDedup(t)
	keys := func(id, text string) []uint32 {
		p, err := d.Prepare(retold.Document{ID: id, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		k, err := p.BandKeys()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a, b, c := keys("a", rate), keys("b", rate), keys("c", football)
	if len(a) == 0 || !reflect.DeepEqual(a, b) || len(c) != len(a) || reflect.DeepEqual(a, c) {
		t.Errorf("band keys: same text %v / %v, other text %v", a, b, c)
	}
	if k := keys("empty", ""); len(k) != 0 {
		t.Errorf("a document without shingles has band keys %v", k)
	}
}

func TestPreparedDamagedForeignDuplicateAndClosed(t *testing.T) {
	d := newDedup(t)
	p, err := d.Prepare(retold.Document{ID: "a", Text: rate})
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := p.MarshalBinary()
	p.Close()
	_, err = retold.ParsePrepared(blob[:len(blob)/2])
	wantCode(t, err, retold.ErrCorrupted, retold.CodeCorrupted)
	flipped := append([]byte(nil), blob...)
	flipped[len(flipped)/2] ^= 0x40
	_, err = retold.ParsePrepared(flipped)
	wantCode(t, err, retold.ErrCorrupted, retold.CodeCorrupted)

	lexical := newDedup(t, retold.WithEmbedding(retold.EmbeddingNone))
	foreign, _ := lexical.Prepare(retold.Document{ID: "foreign", Text: rate})
	defer foreign.Close()
	ok, _ := d.Prepare(retold.Document{ID: "ok", Text: football})
	defer ok.Close()
	_, err = d.AddPreparedBatch([]*retold.Prepared{ok, foreign})
	wantCode(t, err, retold.ErrIncompatible, retold.CodeIncompatible)
	if s, _ := d.Stats(); s.Documents != 0 {
		t.Fatalf("a refused batch stored %d documents", s.Documents)
	}

	x1, _ := d.Prepare(retold.Document{ID: "x", Text: rate})
	defer x1.Close()
	x2, _ := d.Prepare(retold.Document{ID: "x", Text: rateCopy})
	defer x2.Close()
	r, err := d.AddPreparedBatch([]*retold.Prepared{x1, x2, ok, ok})
	if err != nil {
		t.Fatal(err)
	}
	if r[0].Err != nil || r[2].Err != nil {
		t.Fatalf("results %+v", r)
	}
	wantCode(t, r[1].Err, retold.ErrDuplicate, retold.CodeDuplicate)
	wantCode(t, r[3].Err, retold.ErrDuplicate, retold.CodeDuplicate) // the same handle twice
	if s, _ := d.Stats(); s.Documents != 2 {
		t.Fatalf("%d documents stored, want 2", s.Documents)
	}

	closed, _ := d.Prepare(retold.Document{ID: "closed", Text: weather})
	closed.Close()
	closed.Close() // idempotent
	if _, err := closed.MarshalBinary(); !errors.Is(err, retold.ErrClosed) {
		t.Fatalf("MarshalBinary after Close: %v", err)
	}
	if _, err := d.AddPreparedBatch([]*retold.Prepared{ok, closed}); !errors.Is(err, retold.ErrClosed) {
		t.Fatalf("AddPreparedBatch with a closed document: %v", err)
	}
	if _, err := d.AddPreparedBatch([]*retold.Prepared{nil}); err == nil {
		t.Fatal("AddPreparedBatch accepted a nil document")
	}
}

func TestPreparedConcurrently(t *testing.T) {
	d := newDedup(t)
	docs := []retold.Document{{ID: "a", Text: rate}, {ID: "b", Text: rateCopy}}
	prepared := make([]*retold.Prepared, len(docs))
	var wg sync.WaitGroup
	for i := range docs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := d.Prepare(docs[i])
			if err != nil {
				t.Error(err)
			}
			prepared[i] = p
		}(i)
	}
	wg.Wait()
	r, err := d.AddPreparedBatch(prepared)
	if err != nil {
		t.Fatal(err)
	}
	if !r[0].NewStory || r[1].ClusterID != r[0].ClusterID {
		t.Errorf("results %+v", r)
	}
	for _, p := range prepared {
		p.Close()
	}
}
