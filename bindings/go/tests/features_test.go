package retold_test

import (
	"math"
	"reflect"
	"testing"

	retold "github.com/retold/retold/bindings/go"
)

func TestSignatures(t *testing.T) {
	d := newDedup(t)
	a, err := d.ComputeSignature(rate)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, _ := d.ComputeSignature(rateCopy)
	defer b.Close()
	c, _ := d.ComputeSignature(football)
	defer c.Close()
	vals, err := a.Values()
	if err != nil || len(vals) != 128 {
		t.Fatalf("values: %d, %v", len(vals), err)
	}
	if j, err := a.Jaccard(b); err != nil || j <= 0.5 || j > 1 {
		t.Fatalf("Jaccard(copy) = %v, %v", j, err)
	}
	if j, _ := a.Jaccard(c); j >= 0.1 {
		t.Fatalf("Jaccard(other) = %v", j)
	}
	if j, _ := a.Jaccard(a); j != 1 {
		t.Fatalf("Jaccard(self) = %v", j)
	}
	raw, err := a.MarshalBinary()
	if err != nil || string(raw[:4]) != "RTSG" || len(raw) != 20+4*128 {
		t.Fatalf("bytes: %q..., %d, %v", raw[:4], len(raw), err)
	}
	back, err := retold.ParseSignature(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if bv, _ := back.Values(); !reflect.DeepEqual(bv, vals) {
		t.Fatal("values differ after a round trip")
	}
	if j, _ := back.Jaccard(a); j != 1 {
		t.Fatalf("round trip Jaccard %v", j)
	}
	a.Close()
	a.Close() // idempotent
	_, err = a.Values()
	wantCode(t, err, retold.ErrClosed, retold.CodeInvalid)
	_, err = b.Jaccard(a)
	wantCode(t, err, retold.ErrClosed, retold.CodeInvalid)
}

func TestEmbeddingsAndVectorQueries(t *testing.T) {
	d := newDedup(t)
	mustAdd(t, d, retold.Document{ID: "rate", Text: rate})
	mustAdd(t, d, retold.Document{ID: "football", Text: football})
	v, err := d.ComputeEmbedding(rate)
	if err != nil || len(v) != 256 {
		t.Fatalf("embedding: %d, %v", len(v), err)
	}
	norm := 0.0
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if math.Abs(norm-1) > 1e-3 {
		t.Fatalf("norm %v", norm)
	}
	ms, err := d.QueryVector(v, nil)
	if err != nil || len(ms) == 0 || ms[0].ID != "rate" || ms[0].Scores.Cosine <= 0.9 {
		t.Fatalf("QueryVector = %+v, %v", ms, err)
	}
	lexical := newDedup(t, retold.WithEmbedding(retold.EmbeddingNone))
	if v, err := lexical.ComputeEmbedding(rate); err != nil || len(v) != 0 {
		t.Fatalf("lexical embedding: %d, %v", len(v), err)
	}
}

func TestExternalVectors(t *testing.T) {
	d := newDedup(t, retold.WithExternalEmbedding(4))
	mustAdd(t, d, retold.Document{ID: "v1", Text: rate, Vector: []float32{1, 0, 0, 0}})
	joined := mustAdd(t, d, retold.Document{ID: "v2", Text: football, Vector: []float32{0.99, 0.05, 0, 0}})
	if joined.NewStory || joined.Leader.Decision != retold.DecisionCosine || joined.Leader.Decision.String() != "cosine" {
		t.Fatalf("joined: %+v %+v", joined, joined.Leader)
	}
	if r := mustAdd(t, d, retold.Document{ID: "v3", Text: weather, Vector: []float32{0, 0, 1, 0}}); !r.NewStory {
		t.Fatalf("v3 joined: %+v", r)
	}
	ms, err := d.QueryVector([]float32{1, 0, 0, 0}, nil)
	if err != nil || len(ms) != 2 || ms[0].ID != "v1" || ms[1].ID != "v2" {
		t.Fatalf("QueryVector = %+v, %v", ms, err)
	}
	_, err = d.Add(retold.Document{ID: "missing", Text: weather})
	wantCode(t, err, retold.ErrIncompatible, retold.CodeIncompatible)
}
