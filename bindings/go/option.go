package retold

// #include <retold/retold.h>
import "C"

import "time"

// Option changes the Config of New. Every With* function makes one; ConfigFunc turns any
// function into one, so every Config field is reachable.
type Option interface {
	apply(*Config) error
}

// RuntimeOption is an Option on a runtime field, which Load may also change in a saved state
// (the structural ones are fixed when a state is created, so Load takes only these).
type RuntimeOption interface {
	Option
	fields() uint64 // the RETOLD_OPTION_* bits it sets
}

// ConfigFunc is an Option that edits the Config directly, for any field without a With*
// function: retold.New(retold.ConfigFunc(func(c *retold.Config) { c.Sketch.Words = 32 })).
type ConfigFunc func(*Config)

func (f ConfigFunc) apply(c *Config) error {
	if f == nil {
		return invalidf("ConfigFunc is nil")
	}
	f(c)
	return nil
}

type structural func(*Config) error

func (f structural) apply(c *Config) error { return f(c) }

type runtimeOpt struct {
	set  func(*Config) error
	bits uint64
}

func (o runtimeOpt) apply(c *Config) error { return o.set(c) }
func (o runtimeOpt) fields() uint64        { return o.bits }

func runtimeOption(bits C.uint64_t, set func(*Config)) RuntimeOption {
	return runtimeOpt{set: func(c *Config) error { set(c); return nil }, bits: uint64(bits)}
}

// --- runtime options (New and Load)

// WithSourcePriority sets the representative policy's preferred outlets, best first.
func WithSourcePriority(sources ...string) RuntimeOption {
	s := append([]string(nil), sources...)
	return runtimeOption(C.RETOLD_OPTION_SOURCE_PRIORITY, func(c *Config) { c.SourcePriority = s })
}

// WithTimeWindow lets only documents this close in time match (whole seconds; 0 = no window).
func WithTimeWindow(d time.Duration) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_TIME_WINDOW_SECONDS, func(c *Config) { c.TimeWindow = d })
}

// WithRetention records the caller's retention in the state, so the next run (Config().Retention)
// applies the same; the library never evicts by itself (EvictBefore does).
func WithRetention(d time.Duration) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_RETENTION_SECONDS, func(c *Config) { c.Retention = d })
}

// WithSnippetBytes sets how much of each document's opening is kept (Member.Snippet); 0 = none.
func WithSnippetBytes(n int) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_SNIPPET_BYTES, func(c *Config) { c.SnippetBytes = n })
}

// WithMaxDocumentBytes sets the largest text accepted (larger ones give ErrTooLarge).
func WithMaxDocumentBytes(n uint64) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_MAX_DOCUMENT_BYTES, func(c *Config) { c.MaxDocumentBytes = n })
}

// WithThreads sets the number of AddBatch workers (0 = one per hardware thread).
func WithThreads(n int) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_THREADS, func(c *Config) { c.Threads = n })
}

// WithVectorCandidates sets the nearest neighbours examined per document.
func WithVectorCandidates(n int) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_VECTOR_CANDIDATES, func(c *Config) { c.VectorCandidates = n })
}

// WithDecision sets how candidate pairs are decided.
func WithDecision(d MatchDecision) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_DECISION, func(c *Config) { c.Decision = d })
}

// WithMatchThreshold sets the match model's acceptance probability (0 = the model's own).
func WithMatchThreshold(p float64) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_MATCH_THRESHOLD, func(c *Config) { c.MatchThreshold = p })
}

// WithJaccardThreshold sets the threshold rule's Jaccard threshold, in [0, 1].
func WithJaccardThreshold(t float64) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_JACCARD_THRESHOLD, func(c *Config) { c.JaccardThreshold = t })
}

// WithCosineThreshold sets the threshold rule's cosine threshold, in [0, 1].
func WithCosineThreshold(t float64) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_COSINE_THRESHOLD, func(c *Config) { c.CosineThreshold = t })
}

// WithCombined sets the threshold rule's weighted combination: the weight of Jaccard (cosine
// gets the rest) and the combined score's threshold, each in [0, 1].
func WithCombined(weightJaccard, threshold float64) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_COMBINED_WEIGHT_JACCARD|C.RETOLD_OPTION_COMBINED_THRESHOLD,
		func(c *Config) { c.CombinedWeightJaccard, c.CombinedThreshold = weightJaccard, threshold })
}

// WithCopyJaccard sets the estimated Jaccard at which a document joins the story of any member
// it copies even if the leader is further (copies of copies), in [0, 1].
func WithCopyJaccard(t float64) RuntimeOption {
	return runtimeOption(C.RETOLD_OPTION_COPY_JACCARD, func(c *Config) { c.CopyJaccard = t })
}

// WithPreset sets the match fields (decision, match threshold, the rule's thresholds,
// copy_jaccard) to a named preset: "copies" (the same article, edited), "retellings" (the
// defaults), "stories" (also follow-ups of the same event). An unknown name makes New or Load
// fail with ErrInvalid listing the known ones.
func WithPreset(name string) RuntimeOption {
	return runtimeOpt{bits: uint64(C.RETOLD_OPTION_MATCH), set: func(c *Config) error {
		return c.ApplyPreset(name)
	}}
}

// ApplyPreset sets c's match fields to the preset `name` (see WithPreset), leaving the others.
func (c *Config) ApplyPreset(name string) error {
	cname, err := cstringArg("preset name", name)
	if err != nil {
		return err
	}
	o, a, err := c.toC()
	if err != nil {
		return err
	}
	defer a.free()
	var rc C.int
	err = withThread(func() error {
		if rc = C.retold_dedup_options_apply_preset(o, cptr(cname)); rc != 0 {
			return lastError(rc)
		}
		return nil
	})
	if err != nil {
		return err
	}
	m := configFromC(o)
	c.Decision, c.MatchThreshold = m.Decision, m.MatchThreshold
	c.JaccardThreshold, c.CosineThreshold = m.JaccardThreshold, m.CosineThreshold
	c.CombinedWeightJaccard, c.CombinedThreshold = m.CombinedWeightJaccard, m.CombinedThreshold
	c.CopyJaccard = m.CopyJaccard
	return nil
}

// --- structural options (New only)

// WithEmbedding sets where embeddings come from.
func WithEmbedding(m EmbeddingMode) Option {
	return structural(func(c *Config) error { c.Embedding = m; return nil })
}

// WithExternalEmbedding makes the caller pass every document's vector of dim floats.
func WithExternalEmbedding(dim int) Option {
	return structural(func(c *Config) error {
		c.Embedding, c.ExternalDimension = EmbeddingExternal, dim
		return nil
	})
}

// WithKeepText stores normalized texts, so Explain can give shared terms and passages.
func WithKeepText(on bool) Option {
	return structural(func(c *Config) error { c.KeepText = on; return nil })
}

// WithReplaceInvalidUTF8 replaces bad bytes by U+FFFD instead of failing with ErrInvalidUTF8.
func WithReplaceInvalidUTF8(on bool) Option {
	return structural(func(c *Config) error { c.ReplaceInvalidUTF8 = on; return nil })
}

// WithShingle sets the shingle unit and its size in words or code points.
func WithShingle(kind ShingleKind, size int) Option {
	return structural(func(c *Config) error { c.Shingle, c.ShingleSize = kind, size; return nil })
}

// WithNumHashes sets the MinHash signature length, 1..65536.
func WithNumHashes(n int) Option {
	return structural(func(c *Config) error { c.NumHashes = n; return nil })
}

// WithLSHThreshold sets the Jaccard similarity the LSH banding is tuned to, in (0, 1).
func WithLSHThreshold(t float64) Option {
	return structural(func(c *Config) error { c.LSHThreshold = t; return nil })
}

// withThread runs f with the goroutine held on its OS thread: the C library keeps the last
// error message per thread, so a failing call and the read of its message must happen on one.
func withThread(f func() error) error {
	lockThread()
	defer unlockThread()
	return f()
}
