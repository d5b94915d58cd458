package retold

import (
	"strconv"
	"time"
)

// Decision says what accepted a pair of documents (retold.h: retold_decision, pinned values).
type Decision int32

const (
	DecisionRejected Decision = 0 // no rule accepted the pair
	DecisionJaccard  Decision = 1 // estimated Jaccard alone: a copy or a light edit
	DecisionCosine   Decision = 2 // threshold rule: embedding cosine alone, a retelling
	DecisionCombined Decision = 3 // threshold rule: the weighted combination
	DecisionModel    Decision = 4 // the learned match model's probability reached its threshold
)

var decisionNames = [...]string{"rejected", "jaccard", "cosine", "combined", "model"}

// String gives "rejected", "jaccard", "cosine", "combined" or "model" (the number for a value
// this binding does not know).
func (d Decision) String() string {
	if d >= 0 && int(d) < len(decisionNames) {
		return decisionNames[d]
	}
	return "decision(" + strconv.Itoa(int(d)) + ")"
}

// Scores of one pair of documents. Plain data.
type Scores struct {
	Jaccard   float64  // MinHash estimate of the Jaccard similarity of the shingle sets
	Cosine    float64  // cosine of the embeddings (0 when HasCosine is false)
	Score     float64  // in [0, 1]: the ranking number (the match model's probability by default)
	HasCosine bool     // both documents had embeddings
	Decision  Decision // what accepted the pair, or DecisionRejected
}

// Accepted reports whether the pair was accepted as one story.
func (s Scores) Accepted() bool { return s.Decision != DecisionRejected }

// Document is one report for Add and AddBatch. The Deduplicator copies what it keeps: the
// caller may reuse the Document and its slices as soon as the call returns.
type Document struct {
	ID        string    // unique, 1..1024 bytes of UTF-8, no NUL (required)
	Text      string    // the body, UTF-8 (bytes that are not UTF-8 give ErrInvalidUTF8)
	Title     string    // optional headline ("" for none)
	Source    string    // optional outlet name, used by the representative policy ("" for none)
	Timestamp time.Time // when it was published; the zero Time is stored as 0 (the Unix epoch)
	Vector    []float32 // optional caller embedding (required with EmbeddingExternal)
}

// AddResult says what adding one document did. Plain data.
type AddResult struct {
	ClusterID  uint64  // the story it joined or opened (0 when Err is set)
	NewStory   bool    // it opened a story
	Candidates uint64  // candidates examined (both indexes, after the time window)
	Leader     *Scores // its scores against the member that decided when it joined; nil otherwise
	LeaderID   string  // that member: the story's leader, or the member it copies ("" when new)
	// Err is set by AddBatch for a document it skipped (nothing of it was stored); the message
	// names the document ("docs[3]: ...", the index in the caller's slice). Add returns the
	// error instead.
	Err error
}

// OK reports whether the document was stored.
func (r AddResult) OK() bool { return r.Err == nil }

// Match is a stored document similar to a query. Plain data.
type Match struct {
	ID        string
	ClusterID uint64
	Scores    Scores
}

// Member is one document of a story, with its scores against the story's leader when it
// joined (the leader itself has score 1). Plain data.
type Member struct {
	ID        string
	Source    string    // "" when the document had none
	Timestamp time.Time // as given to Add (the zero Time for 0), in UTC
	Scores    Scores
	Title     string // the title as given, whitespace runs made single spaces ("" for none)
	Snippet   string // the opening of the text, at most Config.SnippetBytes bytes ("" with 0)
}

// Cluster is one story. Plain data.
type Cluster struct {
	ID             uint64   // stable story id (1, 2, ...; never reused)
	Representative string   // chosen by the representative policy
	Leader         string   // the first document; every member matched it
	Members        []Member // leader first, then in order of joining
}

// MemberIDs gives the members' ids in order.
func (c Cluster) MemberIDs() []string {
	ids := make([]string, len(c.Members))
	for i, m := range c.Members {
		ids[i] = m.ID
	}
	return ids
}

// Feature is one feature of a pair's evidence (include/retold/verify.hpp: match_feature): its
// stable name, its value, and how far it moved the learned match model's log-odds.
type Feature struct {
	Name         string
	Value        float64
	Contribution float64
}

// Explanation says why two stored documents match or not. Plain data.
type Explanation struct {
	Scores        Scores
	SharedTerms   []string  // distinctive shared words (needs WithKeepText(true); else empty)
	SharedPassage string    // longest shared run of words ("" without WithKeepText(true))
	Features      []Feature // the evidence, in the match model's order
	Probability   float64   // the match model's probability that the two are one story
}

// Stats are counters for monitoring. Plain data.
type Stats struct {
	Documents             uint64 // stored now
	Clusters              uint64 // live stories
	MultiMemberClusters   uint64 // stories that found at least one retelling
	DocumentsAddedTotal   uint64 // including removed and evicted ones
	DocumentsRemovedTotal uint64
	MemoryBytes           uint64 // estimate of the state held in memory
	FrequencyDocuments    uint64 // documents in the built-in embedder's frequencies
	// Wall-clock time inside add calls by stage, summed since created or loaded.
	AddFeatures      time.Duration // normalize, shingle, sign, extract terms (parallel)
	AddEmbed         time.Duration // built-in embedding (parallel)
	AddCandidates    time.Duration // LSH and vector index queries (parallel)
	AddVerifyCluster time.Duration // scoring, leader clustering, storing (in input order)
	AddIndexAdd      time.Duration // adding vectors to the vector index, IVF (re)training
}

// QueryOptions are the parameters of Query and QueryVector; nil means the defaults.
type QueryOptions struct {
	TopK            int       // at most this many matches, best first; 0 means the default (10)
	IncludeRejected bool      // also return candidates the match rule rejected
	At              time.Time // when not zero, only documents within the time window around it
	MinScore        float64   // only matches with Scores.Score >= MinScore (0: no floor)
}

// unixSeconds maps the zero Time to 0, as Document.Timestamp documents.
func unixSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// fromUnixSeconds is the inverse of unixSeconds (0 gives the zero Time).
func fromUnixSeconds(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
