package retold

// #include <stdlib.h>
// #include <retold/retold.h>
import "C"

import (
	"math"
	"time"
	"unsafe"
)

func scoresFromC(s *C.retold_scores) Scores {
	return Scores{Jaccard: float64(s.jaccard), Cosine: float64(s.cosine), Score: float64(s.score),
		HasCosine: s.has_cosine != 0, Decision: Decision(s.decision)}
}

// defaultQuery is the library's default query options, asked once (a cgo call per query would
// cost more than the rest of the conversion).
var defaultQuery, defaultQueryErr = func() (C.retold_query_options, error) {
	var q C.retold_query_options
	if rc := C.retold_query_options_init(&q, C.uint32_t(unsafe.Sizeof(q))); rc != 0 {
		return q, &Error{Code: Code(rc), Message: "retold_query_options_init refused this binding's struct size"}
	}
	return q, nil
}()

func queryOptionsToC(q *QueryOptions, out *C.retold_query_options) error {
	if defaultQueryErr != nil {
		return defaultQueryErr
	}
	*out = defaultQuery
	if q == nil {
		return nil
	}
	if q.TopK < 0 || q.TopK > math.MaxUint32 {
		return invalidf("QueryOptions.TopK must be in [0, 2^32), not %d", q.TopK)
	}
	if q.TopK > 0 {
		out.top_k = C.uint32_t(q.TopK)
	}
	out.include_rejected = cbool(q.IncludeRejected)
	if !q.At.IsZero() {
		out.has_timestamp = 1
		out.timestamp = C.int64_t(q.At.Unix())
	}
	out.min_score = C.double(q.MinScore)
	return nil
}

func matchesFromC(m *C.retold_match_list) []Match {
	if m.count == 0 {
		return []Match{}
	}
	items := unsafe.Slice(m.items, int(m.count))
	out := make([]Match, len(items))
	for i := range items {
		it := &items[i]
		out[i] = Match{ID: C.GoString(it.id), ClusterID: uint64(it.cluster_id), Scores: scoresFromC(&it.scores)}
	}
	return out
}

func newMatchList() C.retold_match_list {
	var m C.retold_match_list
	m.struct_size = C.uint32_t(unsafe.Sizeof(m))
	m.item_size = C.uint32_t(unsafe.Sizeof(C.retold_match{}))
	return m
}

// Query gives the stored reports most similar to text, best first (nothing is stored). opts
// may be nil for the defaults. Shared: runs in parallel with other queries.
func (d *Deduplicator) Query(text string, opts *QueryOptions) ([]Match, error) {
	var q C.retold_query_options
	if err := queryOptionsToC(opts, &q); err != nil {
		return nil, err
	}
	m := newMatchList()
	h, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer d.leave()
	ptr, n := textArg(text)
	rc := C.retold_dedup_query(h, ptr, n, &q, &m)
	defer C.retold_match_list_dispose(&m)
	if rc != 0 {
		return nil, lastError(rc)
	}
	return matchesFromC(&m), nil
}

// QueryVector is Query by an embedding (cosine only). ErrIncompatible when embeddings are
// disabled or the length differs from the configured dimension; ErrInvalid for NaN values.
func (d *Deduplicator) QueryVector(vector []float32, opts *QueryOptions) ([]Match, error) {
	var q C.retold_query_options
	if err := queryOptionsToC(opts, &q); err != nil {
		return nil, err
	}
	if len(vector) > math.MaxUint32 {
		return nil, invalidf("vector has %d floats (more than 2^32-1)", len(vector))
	}
	m := newMatchList()
	h, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer d.leave()
	var ptr *C.float
	if len(vector) > 0 {
		ptr = (*C.float)(unsafe.Pointer(&vector[0]))
	}
	rc := C.retold_dedup_query_vector(h, ptr, C.uint32_t(len(vector)), &q, &m)
	defer C.retold_match_list_dispose(&m)
	if rc != 0 {
		return nil, lastError(rc)
	}
	return matchesFromC(&m), nil
}

// --- lookups

// Contains reports whether id is stored.
func (d *Deduplicator) Contains(id string) (bool, error) {
	cid, err := cstringArg("id", id)
	if err != nil {
		return false, err
	}
	var out C.int32_t
	err = d.call(func(h *C.retold_dedup) C.int { return C.retold_dedup_contains(h, cptr(cid), &out) })
	return out != 0, err
}

// ClusterOf gives the story id of a stored report; ErrNotFound otherwise.
func (d *Deduplicator) ClusterOf(id string) (uint64, error) {
	cid, err := cstringArg("id", id)
	if err != nil {
		return 0, err
	}
	var out C.uint64_t
	err = d.call(func(h *C.retold_dedup) C.int { return C.retold_dedup_cluster_of(h, cptr(cid), &out) })
	return uint64(out), err
}

// RepresentativeOf gives the representative report of the story of id (one consistent
// snapshot); ErrNotFound for an unknown id.
func (d *Deduplicator) RepresentativeOf(id string) (string, error) {
	cid, err := cstringArg("id", id)
	if err != nil {
		return "", err
	}
	h, err := d.enter()
	if err != nil {
		return "", err
	}
	defer d.leave()
	var buf [256]byte
	var n C.uint64_t
	rc := C.retold_dedup_representative_of(h, cptr(cid), (*C.char)(unsafe.Pointer(&buf[0])), C.uint64_t(len(buf)), &n)
	if rc == C.RETOLD_EBUFSIZE { // ids are at most 1024 bytes; the story may change in between
		for rc == C.RETOLD_EBUFSIZE {
			big := make([]byte, int(n)+1)
			rc = C.retold_dedup_representative_of(h, cptr(cid), (*C.char)(unsafe.Pointer(&big[0])), C.uint64_t(len(big)), &n)
			if rc == 0 {
				return string(big[:n]), nil
			}
		}
	}
	if rc != 0 {
		return "", lastError(rc)
	}
	return string(buf[:n]), nil
}

func newClusterList() C.retold_cluster_list {
	var l C.retold_cluster_list
	l.struct_size = C.uint32_t(unsafe.Sizeof(l))
	l.item_size = C.uint32_t(unsafe.Sizeof(C.retold_cluster{}))
	l.member_size = C.uint32_t(unsafe.Sizeof(C.retold_cluster_member{}))
	return l
}

func clustersFromC(l *C.retold_cluster_list) []Cluster {
	if l.count == 0 {
		return []Cluster{}
	}
	items := unsafe.Slice(l.items, int(l.count))
	out := make([]Cluster, len(items))
	for i := range items {
		c := &items[i]
		members := make([]Member, int(c.member_count))
		if c.member_count > 0 {
			for j, m := range unsafe.Slice(c.members, int(c.member_count)) {
				members[j] = Member{ID: C.GoString(m.id), Source: C.GoString(m.source),
					Timestamp: fromUnixSeconds(int64(m.timestamp)), Scores: scoresFromC(&m.scores),
					Title: goStringOrEmpty(m.title), Snippet: goStringOrEmpty(m.snippet)}
			}
		}
		out[i] = Cluster{ID: uint64(c.id), Representative: C.GoString(c.representative),
			Leader: C.GoString(c.leader), Members: members}
	}
	return out
}

// Cluster gives one story; ErrNotFound for an unknown story id.
func (d *Deduplicator) Cluster(id uint64) (Cluster, error) {
	l := newClusterList()
	h, err := d.enter()
	if err != nil {
		return Cluster{}, err
	}
	defer d.leave()
	rc := C.retold_dedup_cluster(h, C.uint64_t(id), &l)
	defer C.retold_cluster_list_dispose(&l)
	if rc != 0 {
		return Cluster{}, lastError(rc)
	}
	cs := clustersFromC(&l)
	if len(cs) != 1 {
		return Cluster{}, &Error{Code: CodeInternal, Message: "retold_dedup_cluster gave " + itoa(int64(len(cs))) + " stories"}
	}
	return cs[0], nil
}

// Clusters gives all stories with at least minMembers members (0 or 1: all; 2: those that found
// a retelling), by increasing id.
func (d *Deduplicator) Clusters(minMembers int) ([]Cluster, error) {
	if minMembers < 0 {
		return nil, invalidf("minMembers must be >= 0, not %d", minMembers)
	}
	l := newClusterList()
	h, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer d.leave()
	rc := C.retold_dedup_clusters(h, C.uint64_t(minMembers), &l)
	defer C.retold_cluster_list_dispose(&l)
	if rc != 0 {
		return nil, lastError(rc)
	}
	return clustersFromC(&l), nil
}

// Explain says why two stored reports match or not: scores, the match model's evidence and
// probability, and (with WithKeepText(true)) the shared terms and passage.
func (d *Deduplicator) Explain(idA, idB string) (Explanation, error) {
	a, err := cstringArg("id_a", idA)
	if err != nil {
		return Explanation{}, err
	}
	b, err := cstringArg("id_b", idB)
	if err != nil {
		return Explanation{}, err
	}
	var e C.retold_explanation
	e.struct_size = C.uint32_t(unsafe.Sizeof(e))
	e.feature_size = C.uint32_t(unsafe.Sizeof(C.retold_feature{}))
	h, err := d.enter()
	if err != nil {
		return Explanation{}, err
	}
	defer d.leave()
	rc := C.retold_dedup_explain(h, cptr(a), cptr(b), &e)
	defer C.retold_explanation_dispose(&e)
	if rc != 0 {
		return Explanation{}, lastError(rc)
	}
	out := Explanation{Scores: scoresFromC(&e.scores), Probability: float64(e.probability),
		SharedTerms: []string{}, Features: []Feature{}}
	if e.shared_passage != nil {
		out.SharedPassage = C.GoString(e.shared_passage)
	}
	if e.shared_term_count > 0 {
		for _, t := range unsafe.Slice(e.shared_terms, int(e.shared_term_count)) {
			out.SharedTerms = append(out.SharedTerms, C.GoString(t))
		}
	}
	if e.feature_count > 0 {
		for _, f := range unsafe.Slice(e.features, int(e.feature_count)) {
			out.Features = append(out.Features, Feature{Name: C.GoString(f.name), Value: float64(f.value),
				Contribution: float64(f.contribution)})
		}
	}
	return out, nil
}

func goStringOrEmpty(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

func seconds(s C.double) time.Duration { return time.Duration(float64(s) * float64(time.Second)) }

// Stats gives counters and per-stage timings for monitoring.
func (d *Deduplicator) Stats() (Stats, error) {
	var s C.retold_stats
	s.struct_size = C.uint32_t(unsafe.Sizeof(s))
	if err := d.call(func(h *C.retold_dedup) C.int { return C.retold_dedup_stats(h, &s) }); err != nil {
		return Stats{}, err
	}
	return Stats{
		Documents: uint64(s.documents), Clusters: uint64(s.clusters),
		MultiMemberClusters: uint64(s.multi_member_clusters), DocumentsAddedTotal: uint64(s.documents_added_total),
		DocumentsRemovedTotal: uint64(s.documents_removed_total), MemoryBytes: uint64(s.memory_bytes),
		FrequencyDocuments: uint64(s.frequency_documents),
		AddFeatures:        seconds(s.add_features_seconds), AddEmbed: seconds(s.add_embed_seconds),
		AddCandidates: seconds(s.add_candidates_seconds), AddVerifyCluster: seconds(s.add_verify_cluster_seconds),
		AddIndexAdd: seconds(s.add_index_add_seconds),
	}, nil
}

// Config gives the options in force (structural ones as created or loaded, LSH banding as
// chosen).
func (d *Deduplicator) Config() (Config, error) {
	var o C.retold_dedup_options
	h, err := d.enter()
	if err != nil {
		return Config{}, err
	}
	defer d.leave()
	if rc := C.retold_dedup_options_init(&o, C.uint32_t(unsafe.Sizeof(o))); rc != 0 {
		return Config{}, lastError(rc)
	}
	if rc := C.retold_dedup_get_options(h, &o); rc != 0 {
		return Config{}, lastError(rc)
	}
	return configFromC(&o), nil // copies the source priority, which points into the handle
}

// --- features alone

// ComputeEmbedding gives the embedding the built-in embedder gives text (nothing stored); empty
// with EmbeddingNone or EmbeddingExternal.
func (d *Deduplicator) ComputeEmbedding(text string) ([]float32, error) {
	out := make([]float32, d.embedDim)
	var dim C.uint64_t
	err := d.call(func(h *C.retold_dedup) C.int {
		ptr, n := textArg(text)
		var buf *C.float
		if len(out) > 0 {
			buf = (*C.float)(unsafe.Pointer(&out[0]))
		}
		return C.retold_dedup_compute_embedding(h, ptr, n, buf, C.uint64_t(len(out)), &dim)
	})
	if err != nil {
		return nil, err
	}
	if int(dim) != len(out) { // cannot happen: the dimension is structural
		return nil, &Error{Code: CodeInternal, Message: "embedding dimension " + itoa(int64(dim)) + ", expected " + itoa(int64(len(out)))}
	}
	return out, nil
}

// ComputeSignature gives the MinHash signature this Deduplicator gives text (nothing stored).
// The caller owns the Signature: Close it.
func (d *Deduplicator) ComputeSignature(text string) (*Signature, error) {
	var sig *C.retold_signature
	err := d.call(func(h *C.retold_dedup) C.int {
		ptr, n := textArg(text)
		return C.retold_dedup_compute_signature(h, ptr, n, &sig)
	})
	if err != nil {
		return nil, err
	}
	return wrapSignature(sig), nil
}
