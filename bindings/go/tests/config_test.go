package retold_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	retold "github.com/retold/retold/bindings/go"
)

func TestConfigRoundTripAndDefaults(t *testing.T) {
	def := retold.DefaultConfig()
	if def.Embedding != retold.EmbeddingBuiltin || def.NumHashes != 128 || def.Embedder.Dimension != 256 ||
		def.ShingleSize != 5 || !def.Casefold || !def.StripBoilerplate || def.MaxDocumentBytes != 1<<20 {
		t.Fatalf("defaults: %+v", def)
	}
	cfg := retold.DefaultConfig()
	cfg.Embedding, cfg.ExternalDimension = retold.EmbeddingExternal, 8
	cfg.Shingle, cfg.ShingleSize, cfg.NumHashes = retold.ShingleCharacter, 4, 64
	cfg.MinHashScheme, cfg.MinHashSeed = retold.MinHashMultiplyShift, 7
	cfg.LSHBands, cfg.LSHRows = 16, 4
	cfg.Decision = retold.MatchRule
	cfg.JaccardThreshold, cfg.CosineThreshold = 0.4, 0.9
	cfg.CombinedWeightJaccard, cfg.CombinedThreshold, cfg.CopyJaccard = 0, 0.8, 0.95
	cfg.TimeWindow, cfg.MaxDocumentBytes, cfg.Threads = time.Minute, 5000, 2
	cfg.SourcePriority = []string{"A", "B"}
	cfg.KeepText, cfg.StripBoilerplate, cfg.Casefold, cfg.ReplaceInvalidUTF8 = true, false, false, true
	cfg.VectorCandidates = 4
	cfg.VectorIndex.Kind = retold.VectorIndexFlat
	cfg.Sketch.Words = 32
	cfg.Retention, cfg.SnippetBytes = 30*24*time.Hour, 100
	d, err := retold.NewFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := d.Config()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cfg) {
		t.Fatalf("config round trip:\n got %+v\nwant %+v", got, cfg)
	}
	withEmbedder := retold.DefaultConfig()
	withEmbedder.Embedder.Dimension, withEmbedder.Embedder.CharNgramMin, withEmbedder.Embedder.CharNgramMax = 64, 3, 5
	withEmbedder.Embedder.NumberWeight = 3
	e, err := retold.NewFromConfig(withEmbedder)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if v, err := e.ComputeEmbedding(rate); err != nil || len(v) != 64 {
		t.Fatalf("embedder dimension 64: %d, %v", len(v), err)
	}
	if got, _ := e.Config(); got.Embedder != withEmbedder.Embedder {
		t.Fatalf("embedder options: %+v", got.Embedder)
	}
	// every field through a ConfigFunc
	f := newDedup(t, retold.ConfigFunc(func(c *retold.Config) { c.Sketch.Trigrams = 8; c.FoldPunctuation = false }))
	if got, _ := f.Config(); got.Sketch.Trigrams != 8 || got.FoldPunctuation {
		t.Fatalf("ConfigFunc: %+v", got)
	}
}

func TestPresets(t *testing.T) {
	copies := retold.DefaultConfig()
	if err := copies.ApplyPreset("copies"); err != nil {
		t.Fatal(err)
	}
	stories := retold.DefaultConfig()
	if err := stories.ApplyPreset("stories"); err != nil {
		t.Fatal(err)
	}
	retellings := retold.DefaultConfig()
	if err := retellings.ApplyPreset("retellings"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(retellings, retold.DefaultConfig()) {
		t.Fatalf("retellings are not the defaults: %+v", retellings)
	}
	if reflect.DeepEqual(copies, stories) {
		t.Fatal("presets copies and stories are the same")
	}
	d := newDedup(t, retold.WithPreset("copies"))
	got, _ := d.Config()
	copies.LSHBands, copies.LSHRows = got.LSHBands, got.LSHRows // resolved from the threshold
	if !reflect.DeepEqual(got, copies) {
		t.Fatalf("WithPreset:\n got %+v\nwant %+v", got, copies)
	}
	_, err := retold.New(retold.WithPreset("everything"))
	e := wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
	if !strings.Contains(e.Message, "everything") {
		t.Fatalf("message %q", e.Message)
	}
}

func TestSaveAndLoadKeepSavedOptionsUnlessOverridden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	d := newDedup(t, retold.WithSourcePriority("Wire"), retold.WithTimeWindow(2*time.Hour), retold.WithThreads(1),
		retold.WithKeepText(true), retold.WithRetention(7*24*time.Hour), retold.WithSnippetBytes(32))
	mustAdd(t, d, retold.Document{ID: "rate", Text: rate, Timestamp: unix(1), Source: "Blog"})
	mustAdd(t, d, retold.Document{ID: "copy", Text: rateCopy, Timestamp: unix(2), Source: "Wire"})
	mustAdd(t, d, retold.Document{ID: "football", Text: football, Timestamp: unix(3)})
	if err := d.Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := d.Save(dir); err != nil { // saving over its own state again is fine
		t.Fatal(err)
	}
	want, _ := d.Clusters(0)
	saved, _ := d.Config()

	back, err := retold.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if got, _ := back.Clusters(0); !reflect.DeepEqual(got, want) {
		t.Fatalf("stories after load:\n%+v\n%+v", got, want)
	}
	if got, _ := back.Config(); !reflect.DeepEqual(got, saved) {
		t.Fatalf("config after load:\n%+v\n%+v", got, saved)
	}
	r, err := back.Add(retold.Document{ID: "copy-2", Text: rateCopy + " More.", Timestamp: unix(4)})
	if c, _ := d.ClusterOf("rate"); err != nil || r.ClusterID != c {
		t.Fatalf("add after load: %+v, %v", r, err)
	}

	// one override: the other runtime options keep their SAVED values, not the defaults
	tuned, err := retold.Load(dir, retold.WithThreads(2))
	if err != nil {
		t.Fatal(err)
	}
	defer tuned.Close()
	got, _ := tuned.Config()
	want2 := saved
	want2.Threads = 2
	if !reflect.DeepEqual(got, want2) {
		t.Fatalf("override threads:\n got %+v\nwant %+v", got, want2)
	}
	if got.TimeWindow != 2*time.Hour || !reflect.DeepEqual(got.SourcePriority, []string{"Wire"}) ||
		got.Retention != 7*24*time.Hour || got.SnippetBytes != 32 {
		t.Fatalf("saved values lost: %+v", got)
	}
	// a preset sets the match fields only
	preset, err := retold.Load(dir, retold.WithPreset("stories"))
	if err != nil {
		t.Fatal(err)
	}
	defer preset.Close()
	stories := saved
	if err := stories.ApplyPreset("stories"); err != nil {
		t.Fatal(err)
	}
	if got, _ := preset.Config(); !reflect.DeepEqual(got, stories) {
		t.Fatalf("load with a preset:\n got %+v\nwant %+v", got, stories)
	}
	_, err = retold.Load(dir, retold.WithJaccardThreshold(2))
	wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
}
