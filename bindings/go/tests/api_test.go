package retold_test

import (
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	retold "github.com/retold/retold/bindings/go"
	"github.com/retold/retold/bindings/go/bench"
)

func TestVersions(t *testing.T) {
	v := retold.LibraryVersion()
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		t.Fatalf("LibraryVersion %q is not major.minor.patch", v)
	}
	n := uint32(0)
	for _, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("LibraryVersion %q: %v", v, err)
		}
		n = n<<8 | uint32(x)
	}
	if retold.LibraryVersionNumber() != n {
		t.Fatalf("LibraryVersionNumber %#x, want %#x from %q", retold.LibraryVersionNumber(), n, v)
	}
	if retold.LibraryVersionNumber() != retold.HeaderVersionNumber {
		t.Fatalf("library %#x and header %#x differ", retold.LibraryVersionNumber(), retold.HeaderVersionNumber)
	}
	if retold.LibraryABIVersion() != retold.HeaderABIVersion || retold.HeaderABIVersion < 1 {
		t.Fatalf("ABI: library %d, header %d", retold.LibraryABIVersion(), retold.HeaderABIVersion)
	}
}

func TestAddJoinsCopiesAndOpensNewStories(t *testing.T) {
	d := newDedup(t, retold.WithSourcePriority("Wire"))
	first := mustAdd(t, d, retold.Document{ID: "blog", Text: rate, Timestamp: unix(1000), Source: "Blog"})
	if !first.OK() || !first.NewStory || first.ClusterID == 0 || first.Leader != nil || first.LeaderID != "" {
		t.Fatalf("first: %+v", first)
	}
	cp := mustAdd(t, d, retold.Document{ID: "wire", Text: rateCopy, Timestamp: unix(900), Source: "Wire",
		Title: "Examplestan raises rates"})
	if cp.NewStory || cp.ClusterID != first.ClusterID || cp.Candidates < 1 || cp.Leader == nil {
		t.Fatalf("copy: %+v", cp)
	}
	if !cp.Leader.Accepted() || cp.Leader.Jaccard <= 0.5 || cp.Leader.Jaccard > 1 || cp.LeaderID != "blog" {
		t.Fatalf("copy leader: %+v %q", *cp.Leader, cp.LeaderID)
	}
	other := mustAdd(t, d, retold.Document{ID: "football", Text: football, Timestamp: unix(2000)})
	if !other.NewStory || other.ClusterID == first.ClusterID {
		t.Fatalf("football: %+v", other)
	}

	for id, want := range map[string]bool{"blog": true, "wire": true, "nobody": false} {
		if got, err := d.Contains(id); err != nil || got != want {
			t.Fatalf("Contains(%s) = %v, %v", id, got, err)
		}
	}
	if c, err := d.ClusterOf("wire"); err != nil || c != first.ClusterID {
		t.Fatalf("ClusterOf(wire) = %d, %v", c, err)
	}
	// the earlier report represents the story the blog opened
	if rep, err := d.RepresentativeOf("blog"); err != nil || rep != "wire" {
		t.Fatalf("RepresentativeOf(blog) = %q, %v", rep, err)
	}
	c, err := d.Cluster(first.ClusterID)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != first.ClusterID || c.Leader != "blog" || c.Representative != "wire" ||
		!reflect.DeepEqual(c.MemberIDs(), []string{"blog", "wire"}) {
		t.Fatalf("cluster: %+v", c)
	}
	if m := c.Members[0]; m.Source != "Blog" || !m.Timestamp.Equal(unix(1000)) || m.Scores.Score != 1 {
		t.Fatalf("leader member: %+v", m)
	}
	if m := c.Members[1]; m.Source != "Wire" || m.Timestamp.Unix() != 900 || m.Timestamp.Location() != time.UTC ||
		m.Title != "Examplestan raises rates" {
		t.Fatalf("second member: %+v", m)
	}
	snippet := c.Members[0].Snippet
	if snippet == "" || len(snippet) > retold.DefaultConfig().SnippetBytes || !strings.HasPrefix(rate, snippet) ||
		c.Members[0].Title != "" {
		t.Fatalf("first member's snippet %q, title %q", snippet, c.Members[0].Title)
	}
	all, err := d.Clusters(0)
	if err != nil || len(all) != 2 {
		t.Fatalf("Clusters(0) = %v, %v", all, err)
	}
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].ID < all[j].ID }) {
		t.Fatal("stories not by increasing id")
	}
	if multi, _ := d.Clusters(2); len(multi) != 1 || multi[0].ID != first.ClusterID {
		t.Fatalf("Clusters(2) = %+v", multi)
	}
	if all[1].Members[0].Source != "" {
		t.Fatalf("a member without a source: %+v", all[1].Members[0])
	}
	st, err := d.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Documents != 3 || st.Clusters != 2 || st.MultiMemberClusters != 1 || st.DocumentsAddedTotal != 3 ||
		st.MemoryBytes == 0 {
		t.Fatalf("stats: %+v", st)
	}
	if st.AddFeatures <= 0 || st.AddVerifyCluster <= 0 || st.FrequencyDocuments == 0 {
		t.Fatalf("stats timings and frequencies: %+v", st)
	}
}

func TestQueryRanksAndStoresNothing(t *testing.T) {
	d := newDedup(t)
	for _, doc := range []retold.Document{{ID: "rate", Text: rate}, {ID: "football", Text: football}, {ID: "weather", Text: weather}} {
		mustAdd(t, d, doc)
	}
	ms, err := d.Query(rateCopy, nil)
	if err != nil || len(ms) != 1 || ms[0].ID != "rate" || !ms[0].Scores.Accepted() {
		t.Fatalf("Query = %+v, %v", ms, err)
	}
	if c, _ := d.ClusterOf("rate"); ms[0].ClusterID != c {
		t.Fatalf("match cluster %d, want %d", ms[0].ClusterID, c)
	}
	if st, _ := d.Stats(); st.Documents != 3 {
		t.Fatalf("a query stored something: %+v", st)
	}
	every, err := d.Query(rateCopy, &retold.QueryOptions{IncludeRejected: true})
	if err != nil || len(every) < 2 {
		t.Fatalf("include rejected: %+v, %v", every, err)
	}
	if !sort.SliceIsSorted(every, func(i, j int) bool { return every[i].Scores.Score > every[j].Scores.Score }) {
		t.Fatalf("not best first: %+v", every)
	}
	if one, _ := d.Query(rateCopy, &retold.QueryOptions{IncludeRejected: true, TopK: 1}); len(one) != 1 {
		t.Fatalf("TopK 1 gave %d", len(one))
	}
	floor, err := d.Query(rateCopy, &retold.QueryOptions{IncludeRejected: true, MinScore: 0.05})
	if err != nil || len(floor) == 0 {
		t.Fatalf("min score: %+v, %v", floor, err)
	}
	for _, m := range floor {
		if m.Scores.Score < 0.05 {
			t.Fatalf("below the floor: %+v", m)
		}
	}
	if none, err := d.Query(football+" More.", &retold.QueryOptions{MinScore: 1}); err != nil || len(none) != 0 {
		t.Fatalf("min score 1: %+v, %v", none, err)
	}
	_, err = d.Query(rateCopy, &retold.QueryOptions{MinScore: 1.5})
	wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
	_, err = d.Query(rateCopy, &retold.QueryOptions{TopK: -1})
	wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
	if empty, err := d.Query("", nil); err != nil || len(empty) != 0 {
		t.Fatalf("empty query: %+v, %v", empty, err)
	}
}

func TestTimeWindowAppliesToAddsAndQueries(t *testing.T) {
	d := newDedup(t, retold.WithTimeWindow(time.Hour))
	t0 := time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)
	mustAdd(t, d, retold.Document{ID: "rate", Text: rate, Timestamp: t0})
	if ms, _ := d.Query(rateCopy, &retold.QueryOptions{At: t0.Add(30 * time.Minute)}); len(ms) != 1 {
		t.Fatalf("inside the window: %+v", ms)
	}
	if ms, _ := d.Query(rateCopy, &retold.QueryOptions{At: t0.Add(24 * time.Hour)}); len(ms) != 0 {
		t.Fatalf("outside the window: %+v", ms)
	}
	if late := mustAdd(t, d, retold.Document{ID: "late", Text: rateCopy, Timestamp: t0.Add(48 * time.Hour)}); !late.NewStory {
		t.Fatalf("a copy outside the window joined: %+v", late)
	}
	if cfg, _ := d.Config(); cfg.TimeWindow != time.Hour {
		t.Fatalf("time window %v", cfg.TimeWindow)
	}
}

func TestAddBatchEqualsAddingOneByOne(t *testing.T) {
	docs := []retold.Document{{ID: "a", Text: rate}, {ID: "b", Text: football}, {ID: "c", Text: rateCopy},
		{ID: "d", Text: weather}, {ID: "e", Text: football + " Extra time."}}
	one := newDedup(t, retold.WithThreads(2))
	many := newDedup(t, retold.WithThreads(2))
	var singles []retold.AddResult
	for _, doc := range docs {
		singles = append(singles, mustAdd(t, one, doc))
	}
	batch, err := many.AddBatch(docs)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(batch, singles) {
		t.Fatalf("batch %+v\nsingles %+v", batch, singles)
	}
	c1, _ := one.Clusters(0)
	c2, _ := many.Clusters(0)
	if !reflect.DeepEqual(c1, c2) {
		t.Fatalf("stories differ:\n%+v\n%+v", c1, c2)
	}
	if r, err := many.AddBatch(nil); err != nil || len(r) != 0 {
		t.Fatalf("empty batch: %v, %v", r, err)
	}
}

func TestAddBatchReportsBadDocumentsByTheirIndex(t *testing.T) {
	d := newDedup(t)
	results, err := d.AddBatch([]retold.Document{
		{ID: "doc", Text: rate, Source: "Wire", Timestamp: unix(5)},
		{ID: "map", Text: rateCopy, Source: "Blog", Timestamp: unix(6), Title: "Rates"},
		{ID: "bad-utf8", Text: "broken \xff text"},
		{ID: "doc", Text: weather},       // duplicate
		{ID: "nul\x00id", Text: weather}, // refused before the library
		{ID: "", Text: weather},          // refused by the library
		{ID: "ok-after", Text: weather},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ok []bool
	for _, r := range results {
		ok = append(ok, r.OK())
	}
	if !reflect.DeepEqual(ok, []bool{true, true, false, false, false, false, true}) {
		t.Fatalf("ok: %v (%+v)", ok, results)
	}
	if results[1].ClusterID != results[0].ClusterID {
		t.Fatal("the copy did not join")
	}
	e := wantCode(t, results[2].Err, retold.ErrInvalidUTF8, retold.CodeInvalidUTF8)
	if !strings.HasPrefix(e.Message, "docs[2]: ") || !strings.Contains(e.Message, "bad-utf8") {
		t.Fatalf("message %q", e.Message)
	}
	e = wantCode(t, results[3].Err, retold.ErrDuplicate, retold.CodeDuplicate)
	if !strings.HasPrefix(e.Message, "docs[3]: ") || !strings.Contains(e.Message, "'doc'") {
		t.Fatalf("message %q", e.Message)
	}
	e = wantCode(t, results[4].Err, retold.ErrInvalid, retold.CodeInvalid)
	if !strings.HasPrefix(e.Message, "docs[4]: ") || !strings.Contains(e.Message, "NUL") {
		t.Fatalf("message %q", e.Message)
	}
	e = wantCode(t, results[5].Err, retold.ErrInvalid, retold.CodeInvalid)
	if !strings.HasPrefix(e.Message, "docs[5]: ") {
		t.Fatalf("message %q", e.Message)
	}
	for _, r := range results {
		if !r.OK() && (r.ClusterID != 0 || r.Leader != nil) {
			t.Fatalf("a skipped document with results: %+v", r)
		}
	}
	if st, _ := d.Stats(); st.Documents != 3 {
		t.Fatalf("documents %d", st.Documents)
	}
}

func TestAddBatchLargerThanOneChunk(t *testing.T) {
	d := newDedup(t, retold.WithEmbedding(retold.EmbeddingNone))
	docs := make([]retold.Document, 2500)
	for i := range docs {
		docs[i] = retold.Document{ID: "doc-" + strconv.Itoa(i), Text: bench.Synthetic(i)}
	}
	docs[2100].ID = "doc-5" // a duplicate in the third chunk: named by its index in docs
	res, err := d.AddBatch(docs)
	if err != nil || len(res) != len(docs) {
		t.Fatalf("%d results, %v", len(res), err)
	}
	e := wantCode(t, res[2100].Err, retold.ErrDuplicate, retold.CodeDuplicate)
	if !strings.HasPrefix(e.Message, "docs[2100]: ") {
		t.Fatalf("message %q", e.Message)
	}
	if st, _ := d.Stats(); st.Documents != 2499 {
		t.Fatalf("documents %d", st.Documents)
	}
}

func TestRemoveAndEvict(t *testing.T) {
	d := newDedup(t)
	mustAdd(t, d, retold.Document{ID: "old", Text: rate, Timestamp: unix(10)})
	mustAdd(t, d, retold.Document{ID: "copy", Text: rateCopy, Timestamp: unix(20)})
	mustAdd(t, d, retold.Document{ID: "new", Text: football, Timestamp: unix(30)})
	story, _ := d.ClusterOf("old")
	if err := d.Remove("old"); err != nil {
		t.Fatal(err)
	}
	if in, _ := d.Contains("old"); in {
		t.Fatal("removed document still stored")
	}
	if c, _ := d.ClusterOf("copy"); c != story {
		t.Fatal("the story changed its id")
	}
	wantCode(t, d.Remove("old"), retold.ErrNotFound, retold.CodeNotFound)
	if n, err := d.EvictBefore(unix(25)); n != 1 || err != nil {
		t.Fatalf("EvictBefore = %d, %v", n, err)
	}
	if n, _ := d.EvictBefore(unix(25)); n != 0 {
		t.Fatalf("second EvictBefore = %d", n)
	}
	cs, _ := d.Clusters(0)
	if len(cs) != 1 || !reflect.DeepEqual(cs[0].MemberIDs(), []string{"new"}) {
		t.Fatalf("left: %+v", cs)
	}
	if st, _ := d.Stats(); st.Documents != 1 || st.DocumentsRemovedTotal != 2 || st.DocumentsAddedTotal != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestExplainGivesTermsAndEveryFeature(t *testing.T) {
	d := newDedup(t, retold.WithKeepText(true))
	mustAdd(t, d, retold.Document{ID: "blog", Text: rate, Timestamp: unix(1000), Source: "Blog"})
	mustAdd(t, d, retold.Document{ID: "wire", Text: rateCopy, Timestamp: unix(900), Source: "Wire", Title: "Examplestan raises rates"})
	mustAdd(t, d, retold.Document{ID: "football", Text: football, Timestamp: unix(2000)})
	same, err := d.Explain("blog", "wire")
	if err != nil {
		t.Fatal(err)
	}
	if !same.Scores.Accepted() || len(same.SharedTerms) == 0 || !strings.Contains(same.SharedPassage, "examplestan") {
		t.Fatalf("same: %+v", same)
	}
	if len(same.Features) < 3 || same.Features[0].Name != "jaccard" || same.Features[1].Name != "containment" ||
		same.Features[2].Name != "cosine" {
		t.Fatalf("features: %+v", same.Features)
	}
	if math.Abs(same.Features[0].Value-same.Scores.Jaccard) > 1e-9 || same.Probability <= 0.5 || same.Probability >= 1 {
		t.Fatalf("feature values: %+v", same)
	}
	other, err := d.Explain("blog", "football")
	if err != nil || other.Scores.Accepted() || other.Probability >= same.Probability {
		t.Fatalf("other: %+v, %v", other, err)
	}
	sum := func(fs []retold.Feature) (s float64) {
		for _, f := range fs {
			s += f.Contribution
		}
		return
	}
	if sum(other.Features) >= sum(same.Features) {
		t.Fatal("contributions do not separate the pairs")
	}
	plain := newDedup(t)
	mustAdd(t, plain, retold.Document{ID: "a", Text: rate})
	mustAdd(t, plain, retold.Document{ID: "b", Text: rateCopy})
	if e, err := plain.Explain("a", "b"); err != nil || len(e.SharedTerms) != 0 || e.SharedPassage != "" {
		t.Fatalf("without keep_text: %+v, %v", e, err)
	}
}

func TestCloseIsIdempotentAndLaterCallsFail(t *testing.T) {
	d, err := retold.New()
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, d, retold.Document{ID: "a", Text: rate})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d.Close()
	_, err = d.Add(retold.Document{ID: "b", Text: rate})
	e := wantCode(t, err, retold.ErrClosed, retold.CodeInvalid)
	if !strings.Contains(e.Error(), "closed") {
		t.Fatalf("message %q", e.Error())
	}
	_, err = d.Query(rate, nil)
	wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
	_, err = d.Stats()
	wantCode(t, err, retold.ErrClosed, retold.CodeInvalid)
	var nilDedup *retold.Deduplicator
	_, err = nilDedup.Contains("a")
	wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
	if nilDedup.Close() != nil {
		t.Fatal("Close on nil")
	}
}
