package retold

// #include <stdlib.h>
// #include <retold/retold.h>
import "C"

import (
	"math"
	"time"
	"unsafe"
)

// EmbeddingMode says where document embeddings come from.
type EmbeddingMode uint32

const (
	EmbeddingBuiltin  EmbeddingMode = 0 // the built-in TF-IDF embedder (the default)
	EmbeddingExternal EmbeddingMode = 1 // the caller passes Document.Vector of ExternalDimension floats
	EmbeddingNone     EmbeddingMode = 2 // lexical (MinHash) matching only
)

// ShingleKind is the unit of a shingle.
type ShingleKind uint32

const (
	ShingleWord      ShingleKind = 0 // word n-grams (the default)
	ShingleCharacter ShingleKind = 1 // code point n-grams
)

// MinHashScheme is the MinHash hash family.
type MinHashScheme uint32

const (
	MinHashOnePermutation MinHashScheme = 1 // one-permutation hashing, densified (the default)
	MinHashMultiplyShift  MinHashScheme = 2 // num_hashes independent multiply-shift hashes
)

// VectorIndexKind is the structure of the vector index.
type VectorIndexKind uint32

const (
	VectorIndexAutomatic VectorIndexKind = 0 // exact until IVFMinSize vectors, then IVF (default)
	VectorIndexFlat      VectorIndexKind = 1 // exact inner product over every vector
	VectorIndexIVF       VectorIndexKind = 2 // inverted file: approximate, for millions of vectors
)

// MatchDecision says how a candidate pair is decided.
type MatchDecision uint32

const (
	MatchAutomatic MatchDecision = 0 // the model with the built-in embedder, else the rule (default)
	MatchModel     MatchDecision = 1 // the learned match model; Scores.Score = P(same story)
	MatchRule      MatchDecision = 2 // the threshold rule (Jaccard/cosine/combined thresholds)
)

// String gives the mode's name ("builtin", "external", "none").
func (m EmbeddingMode) String() string {
	return enumName(uint32(m), "embedding", "builtin", "external", "none")
}

// String gives "word" or "character".
func (k ShingleKind) String() string { return enumName(uint32(k), "shingle", "word", "character") }

// String gives "one_permutation" or "multiply_shift".
func (s MinHashScheme) String() string {
	return enumName(uint32(s), "minhash", "", "one_permutation", "multiply_shift")
}

// String gives "automatic", "flat" or "ivf".
func (k VectorIndexKind) String() string {
	return enumName(uint32(k), "vector_index", "automatic", "flat", "ivf")
}

// String gives "automatic", "model" or "rule".
func (m MatchDecision) String() string {
	return enumName(uint32(m), "decision", "automatic", "model", "rule")
}

func enumName(v uint32, kind string, names ...string) string {
	if int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return kind + "(" + itoa(int64(v)) + ")"
}

// EmbedderConfig configures the built-in TF-IDF embedder (all structural).
type EmbedderConfig struct {
	Dimension       int     // output dimension 1..65536 (256)
	WordNgramMax    int     // word n-grams 1..this (0: no word terms) (1)
	CharNgramMin    int     // character n-grams of each word, CharNgramMin..CharNgramMax code
	CharNgramMax    int     //   points; CharNgramMin 0 disables them (4..4)
	SublinearTF     bool    // 1 + ln(count) instead of count (true)
	DFBucketsLog2   int     // log2 of the document-frequency counters, 10..28 (20)
	WordWeight      float64 // weights per kind of term (1)
	NumberWeight    float64 // a word containing an ASCII digit (2)
	CharWeight      float64 // character n-grams (1)
	WordNgramWeight float64 // word n-grams of order >= 2 (1)
	Seed            uint64  // seed of the term hashes
}

// VectorIndexConfig configures the vector index (all structural).
type VectorIndexConfig struct {
	Kind               VectorIndexKind
	NList              int    // IVF cells; 0 = about 4 sqrt(n), retrained as n grows
	NProbe             int    // IVF cells scanned per query (16)
	ScalarQuantization bool   // IVF stores 8-bit codes
	IVFMinSize         uint64 // VectorIndexAutomatic switches to IVF at this size (20000)
	Seed               uint64 // seed of the k-means training
}

// SketchConfig sizes the per-document evidence sketch: values kept per document, each 0..255
// (all structural).
type SketchConfig struct {
	Words, Bigrams, Numbers, Names, TitleWords, Trigrams int
	Seed                                                 uint64 // the embedder's seed by default
}

// Config is every option of a Deduplicator (include/retold/dedup.hpp documents each one and its
// range). DefaultConfig gives the library's defaults; Deduplicator.Config the ones in force.
// Fields marked S are structural: fixed when a state is created and saved with it; the others
// may be changed when a state is loaded (Load with RuntimeOptions). Plain data.
type Config struct {
	// normalization (S)
	Casefold           bool // NFKC + Unicode case folding (true)
	FoldPunctuation    bool // punctuation and symbols separate tokens (true)
	StripBoilerplate   bool // drop agency credit lines and labels (true)
	ReplaceInvalidUTF8 bool // bad bytes become U+FFFD instead of ErrInvalidUTF8 (false)
	KeepText           bool // store normalized texts, for Explain's terms (false)
	// shingles, MinHash, LSH (S)
	Shingle       ShingleKind
	ShingleSize   int // words (or code points) per shingle (5)
	NumHashes     int // MinHash signature length 1..65536 (128)
	MinHashScheme MinHashScheme
	MinHashSeed   uint64
	LSHBands      int     // 0 with LSHRows 0 = tuned to LSHThreshold
	LSHRows       int     //
	LSHThreshold  float64 // Jaccard the banding targets, in (0, 1) (0.2)
	// embeddings (S)
	Embedding         EmbeddingMode
	ExternalDimension int // floats per caller vector; required (> 0) with EmbeddingExternal
	Embedder          EmbedderConfig
	VectorIndex       VectorIndexConfig
	Sketch            SketchConfig
	// runtime
	VectorCandidates      int           // nearest neighbours examined per document (16)
	Decision              MatchDecision // how candidate pairs are decided
	Threads               int           // AddBatch workers; 0 = one per hardware thread
	MatchThreshold        float64       // model: accept when P >= this; 0 = the model's own
	JaccardThreshold      float64       // the threshold rule (retold/verify.hpp), each in [0, 1]
	CosineThreshold       float64
	CombinedWeightJaccard float64
	CombinedThreshold     float64
	CopyJaccard           float64       // joins a member's story at this estimated Jaccard, [0, 1]
	TimeWindow            time.Duration // 0 = no window; else only documents this close match (whole seconds)
	MaxDocumentBytes      uint64        // larger texts give ErrTooLarge (1 MiB)
	SourcePriority        []string      // representative policy: preferred outlets, best first
	// Retention is the caller's retention, saved with the state so the next run applies the same
	// (0 = none; whole seconds). The library never evicts by itself: call EvictBefore.
	Retention time.Duration
	// SnippetBytes is how much of each document's opening is kept with the state
	// (Member.Snippet), at most this many bytes; 0 = none; applies to documents added from then on.
	SnippetBytes int
}

// DefaultConfig gives the library's defaults (retold_dedup_options_init). Thread-safe.
func DefaultConfig() Config {
	var o C.retold_dedup_options
	if rc := C.retold_dedup_options_init(&o, C.uint32_t(unsafe.Sizeof(o))); rc != 0 {
		// Only a library older than the 1.0 ABI refuses this size: nothing works then.
		panic("retold: retold_dedup_options_init refused the struct size of this binding's header")
	}
	return configFromC(&o)
}

func cbool(b bool) C.uint32_t {
	if b {
		return 1
	}
	return 0
}

// toC converts a Config into a C struct; the source priority strings live in the returned
// arena (free it after the call). Integers out of the C field's range give ErrInvalid naming
// the field; the library checks the rest.
func (c *Config) toC() (*C.retold_dedup_options, cArena, error) {
	var err error
	u32 := func(name string, v int) C.uint32_t {
		if err == nil && (v < 0 || v > math.MaxUint32) {
			err = invalidf("option %s must be in [0, 2^32), not %d", name, v)
		}
		return C.uint32_t(v)
	}
	size := unsafe.Sizeof(C.retold_dedup_options{})
	ptrSize := unsafe.Sizeof((*C.char)(nil))
	arenaSize := size + ptrSize
	for i, p := range c.SourcePriority {
		if e := checkCString("source priority entry "+itoa(int64(i)), p); e != nil {
			return nil, cArena{}, e
		}
		arenaSize += ptrSize + uintptr(len(p)) + 1
	}
	a := newArena(arenaSize)
	o := (*C.retold_dedup_options)(a.alloc(size, 8))
	*o = C.retold_dedup_options{}
	o.struct_size = C.uint32_t(size)
	o.casefold = cbool(c.Casefold)
	o.fold_punctuation = cbool(c.FoldPunctuation)
	o.strip_boilerplate = cbool(c.StripBoilerplate)
	o.replace_invalid_utf8 = cbool(c.ReplaceInvalidUTF8)
	o.keep_text = cbool(c.KeepText)
	o.shingle_kind = C.uint32_t(c.Shingle)
	o.shingle_size = u32("shingle size", c.ShingleSize)
	o.num_hashes = u32("num_hashes", c.NumHashes)
	o.minhash_scheme = C.uint32_t(c.MinHashScheme)
	o.minhash_seed = C.uint64_t(c.MinHashSeed)
	o.lsh_bands = u32("lsh_bands", c.LSHBands)
	o.lsh_rows = u32("lsh_rows", c.LSHRows)
	o.lsh_threshold = C.double(c.LSHThreshold)
	o.embedding_mode = C.uint32_t(c.Embedding)
	o.external_dimension = u32("external_dimension", c.ExternalDimension)
	e := &c.Embedder
	o.embedder_dimension = u32("embedder dimension", e.Dimension)
	o.embedder_word_ngram_max = u32("embedder word_ngram_max", e.WordNgramMax)
	o.embedder_char_ngram_min = u32("embedder char_ngram_min", e.CharNgramMin)
	o.embedder_char_ngram_max = u32("embedder char_ngram_max", e.CharNgramMax)
	o.embedder_sublinear_tf = cbool(e.SublinearTF)
	o.embedder_df_buckets_log2 = u32("embedder df_buckets_log2", e.DFBucketsLog2)
	o.embedder_word_weight = C.double(e.WordWeight)
	o.embedder_number_weight = C.double(e.NumberWeight)
	o.embedder_char_weight = C.double(e.CharWeight)
	o.embedder_word_ngram_weight = C.double(e.WordNgramWeight)
	o.embedder_seed = C.uint64_t(e.Seed)
	v := &c.VectorIndex
	o.vector_index_kind = C.uint32_t(v.Kind)
	o.vector_index_nlist = u32("vector index nlist", v.NList)
	o.vector_index_nprobe = u32("vector index nprobe", v.NProbe)
	o.vector_index_scalar_quantization = cbool(v.ScalarQuantization)
	o.vector_index_ivf_min_size = C.uint64_t(v.IVFMinSize)
	o.vector_index_seed = C.uint64_t(v.Seed)
	s := &c.Sketch
	o.sketch_words = u32("sketch words", s.Words)
	o.sketch_bigrams = u32("sketch bigrams", s.Bigrams)
	o.sketch_numbers = u32("sketch numbers", s.Numbers)
	o.sketch_names = u32("sketch names", s.Names)
	o.sketch_title_words = u32("sketch title_words", s.TitleWords)
	o.sketch_trigrams = u32("sketch trigrams", s.Trigrams)
	o.sketch_seed = C.uint64_t(s.Seed)
	if c.VectorCandidates < 0 && err == nil {
		err = invalidf("option vector_candidates must be >= 0, not %d", c.VectorCandidates)
	}
	o.vector_candidates = C.uint64_t(c.VectorCandidates)
	o.decision = C.uint32_t(c.Decision)
	o.threads = u32("threads", c.Threads)
	o.match_threshold = C.double(c.MatchThreshold)
	o.jaccard_threshold = C.double(c.JaccardThreshold)
	o.cosine_threshold = C.double(c.CosineThreshold)
	o.combined_weight_jaccard = C.double(c.CombinedWeightJaccard)
	o.combined_threshold = C.double(c.CombinedThreshold)
	o.copy_jaccard = C.double(c.CopyJaccard)
	if c.TimeWindow < 0 && err == nil {
		err = invalidf("option time window must be >= 0, not %v", c.TimeWindow)
	}
	o.time_window_seconds = C.int64_t(c.TimeWindow / time.Second)
	o.max_document_bytes = C.uint64_t(c.MaxDocumentBytes)
	if c.Retention < 0 && err == nil {
		err = invalidf("option retention must be >= 0, not %v", c.Retention)
	}
	o.retention_seconds = C.int64_t(c.Retention / time.Second)
	o.snippet_bytes = u32("snippet_bytes", c.SnippetBytes)
	if n := len(c.SourcePriority); n > 0 {
		ptrs := unsafe.Slice((**C.char)(a.alloc(uintptr(n)*ptrSize, ptrSize)), n)
		for i, p := range c.SourcePriority {
			ptrs[i] = a.cstring(p)
		}
		o.source_priority = (**C.char)(unsafe.Pointer(&ptrs[0]))
		o.source_priority_count = C.uint64_t(n)
	}
	if err != nil {
		a.free()
		return nil, cArena{}, err
	}
	return o, a, nil
}

func configFromC(o *C.retold_dedup_options) Config {
	c := Config{
		Casefold:           o.casefold != 0,
		FoldPunctuation:    o.fold_punctuation != 0,
		StripBoilerplate:   o.strip_boilerplate != 0,
		ReplaceInvalidUTF8: o.replace_invalid_utf8 != 0,
		KeepText:           o.keep_text != 0,
		Shingle:            ShingleKind(o.shingle_kind),
		ShingleSize:        int(o.shingle_size),
		NumHashes:          int(o.num_hashes),
		MinHashScheme:      MinHashScheme(o.minhash_scheme),
		MinHashSeed:        uint64(o.minhash_seed),
		LSHBands:           int(o.lsh_bands),
		LSHRows:            int(o.lsh_rows),
		LSHThreshold:       float64(o.lsh_threshold),
		Embedding:          EmbeddingMode(o.embedding_mode),
		ExternalDimension:  int(o.external_dimension),
		Embedder: EmbedderConfig{
			Dimension:       int(o.embedder_dimension),
			WordNgramMax:    int(o.embedder_word_ngram_max),
			CharNgramMin:    int(o.embedder_char_ngram_min),
			CharNgramMax:    int(o.embedder_char_ngram_max),
			SublinearTF:     o.embedder_sublinear_tf != 0,
			DFBucketsLog2:   int(o.embedder_df_buckets_log2),
			WordWeight:      float64(o.embedder_word_weight),
			NumberWeight:    float64(o.embedder_number_weight),
			CharWeight:      float64(o.embedder_char_weight),
			WordNgramWeight: float64(o.embedder_word_ngram_weight),
			Seed:            uint64(o.embedder_seed),
		},
		VectorIndex: VectorIndexConfig{
			Kind:               VectorIndexKind(o.vector_index_kind),
			NList:              int(o.vector_index_nlist),
			NProbe:             int(o.vector_index_nprobe),
			ScalarQuantization: o.vector_index_scalar_quantization != 0,
			IVFMinSize:         uint64(o.vector_index_ivf_min_size),
			Seed:               uint64(o.vector_index_seed),
		},
		Sketch: SketchConfig{
			Words: int(o.sketch_words), Bigrams: int(o.sketch_bigrams), Numbers: int(o.sketch_numbers),
			Names: int(o.sketch_names), TitleWords: int(o.sketch_title_words),
			Trigrams: int(o.sketch_trigrams), Seed: uint64(o.sketch_seed),
		},
		VectorCandidates:      int(o.vector_candidates),
		Decision:              MatchDecision(o.decision),
		Threads:               int(o.threads),
		MatchThreshold:        float64(o.match_threshold),
		JaccardThreshold:      float64(o.jaccard_threshold),
		CosineThreshold:       float64(o.cosine_threshold),
		CombinedWeightJaccard: float64(o.combined_weight_jaccard),
		CombinedThreshold:     float64(o.combined_threshold),
		CopyJaccard:           float64(o.copy_jaccard),
		TimeWindow:            time.Duration(o.time_window_seconds) * time.Second,
		MaxDocumentBytes:      uint64(o.max_document_bytes),
		Retention:             time.Duration(o.retention_seconds) * time.Second,
		SnippetBytes:          int(o.snippet_bytes),
	}
	if n := int(o.source_priority_count); n > 0 && o.source_priority != nil {
		for _, p := range unsafe.Slice(o.source_priority, n) {
			c.SourcePriority = append(c.SourcePriority, C.GoString(p))
		}
	}
	return c
}
