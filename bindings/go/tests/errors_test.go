package retold_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	retold "github.com/retold/retold/bindings/go"
)

func TestCodesArePinnedAndNamedAsTheLibraryNamesThem(t *testing.T) {
	want := map[retold.Code]string{
		retold.CodeOK: "ok", retold.CodeInvalid: "", retold.CodeInvalidUTF8: "invalid_utf8",
		retold.CodeNotFound: "", retold.CodeIncompatible: "", retold.CodeIO: "", retold.CodeCorrupted: "",
		retold.CodeNoMemory: "", retold.CodeTooLarge: "", retold.CodeDuplicate: "", retold.CodeParse: "",
		retold.CodeConflict: "", retold.CodeBufferSize: "buffer_too_small", retold.CodeInternal: "",
	}
	numbers := []int{0, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -30, -99}
	seen := map[string]bool{}
	for _, n := range numbers {
		c := retold.Code(n)
		name, ok := want[c]
		if !ok {
			t.Fatalf("code %d has no constant", n)
		}
		if c.Name() == "unknown" || (name != "" && c.Name() != name) || seen[c.Name()] {
			t.Fatalf("code %d is named %q by the library", n, c.Name())
		}
		seen[c.Name()] = true
		if n != 0 {
			s := retold.Sentinel(c)
			if s == nil || !errors.Is(&retold.Error{Code: c, Message: "m"}, s) {
				t.Fatalf("code %d: no sentinel", n)
			}
		}
	}
	if retold.Code(-12).Name() != "unknown" || retold.Sentinel(-12) != nil {
		t.Fatal("-12 is not a code")
	}
	if len(want) != len(numbers) {
		t.Fatal("a constant is not checked")
	}
	// sentinels are distinct: no error matches two
	err := &retold.Error{Code: retold.CodeNotFound, Message: "m"}
	for _, n := range numbers[1:] {
		if s := retold.Sentinel(retold.Code(n)); errors.Is(err, s) != (n == -3) {
			t.Fatalf("ErrNotFound error matches %v", s)
		}
	}
	// wrapping keeps the match
	wrapped := fmt.Errorf("nightly run: %w", err)
	if !errors.Is(wrapped, retold.ErrNotFound) || errors.Is(wrapped, retold.ErrIO) {
		t.Fatal("errors.Is through a wrap")
	}
	var e *retold.Error
	if !errors.As(wrapped, &e) || e.Code != retold.CodeNotFound {
		t.Fatal("errors.As through a wrap")
	}
}

func TestInvalidUTF8(t *testing.T) {
	d := newDedup(t)
	_, err := d.Add(retold.Document{ID: "bad", Text: "Valid start \xff\xfe then garbage"})
	e := wantCode(t, err, retold.ErrInvalidUTF8, retold.CodeInvalidUTF8)
	if !strings.Contains(e.Message, "'bad'") || !strings.Contains(e.Message, "12") {
		t.Fatalf("message %q", e.Message)
	}
	for _, bad := range []string{"overlong \xc0\xaf", "surrogate \xed\xa0\x80", "cut \xe2\x82"} {
		_, err = d.Add(retold.Document{ID: "bad", Text: bad})
		wantCode(t, err, retold.ErrInvalidUTF8, retold.CodeInvalidUTF8)
	}
	_, err = d.Add(retold.Document{ID: "bad", Text: rate, Title: "\x80 title"})
	wantCode(t, err, retold.ErrInvalidUTF8, retold.CodeInvalidUTF8)
	_, err = d.Add(retold.Document{ID: "bad", Text: rate, Source: "\x80"})
	wantCode(t, err, retold.ErrInvalidUTF8, retold.CodeInvalidUTF8)
	_, err = d.Query("\xff", nil)
	wantCode(t, err, retold.ErrInvalidUTF8, retold.CodeInvalidUTF8)
	_, err = d.ComputeSignature("\xff")
	wantCode(t, err, retold.ErrInvalidUTF8, retold.CodeInvalidUTF8)
	_, err = d.ComputeEmbedding("\xff")
	wantCode(t, err, retold.ErrInvalidUTF8, retold.CodeInvalidUTF8)
	if st, _ := d.Stats(); st.Documents != 0 {
		t.Fatal("a refused add stored something")
	}
	lenient := newDedup(t, retold.WithReplaceInvalidUTF8(true))
	if _, err := lenient.Add(retold.Document{ID: "ok", Text: "broken \xff text"}); err != nil {
		t.Fatal(err)
	}
}

func TestNotFound(t *testing.T) {
	d := newDedup(t)
	mustAdd(t, d, retold.Document{ID: "a", Text: rate})
	_, err := d.ClusterOf("nobody")
	e := wantCode(t, err, retold.ErrNotFound, retold.CodeNotFound)
	if !strings.Contains(e.Message, "nobody") {
		t.Fatalf("message %q", e.Message)
	}
	wantCode(t, d.Remove("nobody"), retold.ErrNotFound, retold.CodeNotFound)
	_, err = d.RepresentativeOf("nobody")
	wantCode(t, err, retold.ErrNotFound, retold.CodeNotFound)
	_, err = d.Cluster(987654)
	wantCode(t, err, retold.ErrNotFound, retold.CodeNotFound)
	_, err = d.Explain("a", "nobody")
	wantCode(t, err, retold.ErrNotFound, retold.CodeNotFound)
}

func TestDuplicateAndInvalidIDs(t *testing.T) {
	d := newDedup(t)
	mustAdd(t, d, retold.Document{ID: "a", Text: rate})
	_, err := d.Add(retold.Document{ID: "a", Text: football})
	e := wantCode(t, err, retold.ErrDuplicate, retold.CodeDuplicate)
	if !strings.Contains(e.Message, "'a'") {
		t.Fatalf("message %q", e.Message)
	}
	for _, doc := range []retold.Document{
		{ID: "", Text: rate},
		{ID: strings.Repeat("x", 1100), Text: rate},
		{ID: "nul\x00inside", Text: rate},
		{ID: "ok", Text: rate, Source: "nul\x00inside"},
	} {
		_, err := d.Add(doc)
		wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
	}
	_, err = d.Contains("nul\x00")
	wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
	if st, _ := d.Stats(); st.Documents != 1 {
		t.Fatal("a refused add stored something")
	}
}

func TestTooLarge(t *testing.T) {
	d := newDedup(t, retold.WithMaxDocumentBytes(100))
	_, err := d.Add(retold.Document{ID: "big", Text: strings.Repeat("x", 200)})
	e := wantCode(t, err, retold.ErrTooLarge, retold.CodeTooLarge)
	if !strings.Contains(e.Message, "big") {
		t.Fatalf("message %q", e.Message)
	}
}

func TestInvalidOptionsNameTheOption(t *testing.T) {
	cases := map[string]retold.Option{
		"jaccard":           retold.WithJaccardThreshold(1.5),
		"cosine":            retold.WithCosineThreshold(-0.1),
		"lsh":               retold.WithLSHThreshold(1.0),
		"embedding":         retold.WithEmbedding(7),
		"shingle":           retold.WithShingle(9, 5),
		"num_hashes":        retold.WithNumHashes(0),
		"num_hashes large":  retold.WithNumHashes(70000),
		"external no dim":   retold.WithEmbedding(retold.EmbeddingExternal),
		"time window":       retold.WithTimeWindow(-1),
		"threads":           retold.WithThreads(-2),
		"decision":          retold.WithDecision(9),
		"nan":               retold.WithCopyJaccard(math.NaN()),
		"source priority":   retold.WithSourcePriority("ok", "nul\x00"),
		"sketch":            retold.ConfigFunc(func(c *retold.Config) { c.Sketch.Words = 300 }),
		"embedder dim":      retold.ConfigFunc(func(c *retold.Config) { c.Embedder.Dimension = 0 }),
		"vector candidates": retold.WithVectorCandidates(-1),
		"nil":               nil,
	}
	for name, opt := range cases {
		_, err := retold.New(opt)
		e := wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
		if e.Message == "" {
			t.Fatalf("%s: no message", name)
		}
	}
	_, err := retold.NewFromConfig(retold.Config{}) // the zero Config is not the defaults
	wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
}

func TestIncompatible(t *testing.T) {
	d := newDedup(t)
	mustAdd(t, d, retold.Document{ID: "a", Text: rate})
	_, err := d.QueryVector([]float32{1, 0}, nil)
	e := wantCode(t, err, retold.ErrIncompatible, retold.CodeIncompatible)
	if !strings.Contains(e.Message, "2") {
		t.Fatalf("message %q", e.Message)
	}
	small := newDedup(t, retold.WithNumHashes(64))
	s1, _ := d.ComputeSignature(rate)
	defer s1.Close()
	s2, _ := small.ComputeSignature(rate)
	defer s2.Close()
	_, err = s1.Jaccard(s2)
	wantCode(t, err, retold.ErrIncompatible, retold.CodeIncompatible)
	lexical := newDedup(t, retold.WithEmbedding(retold.EmbeddingNone))
	_, err = lexical.Add(retold.Document{ID: "v", Text: rate, Vector: make([]float32, 256)})
	wantCode(t, err, retold.ErrIncompatible, retold.CodeIncompatible)
	_, err = lexical.QueryVector(make([]float32, 256), nil)
	wantCode(t, err, retold.ErrIncompatible, retold.CodeIncompatible)
	nan := make([]float32, 256)
	for i := range nan {
		nan[i] = float32(math.NaN())
	}
	_, err = d.QueryVector(nan, nil)
	wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)
}

func TestTwoWritersConflict(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	d := newDedup(t)
	mustAdd(t, d, retold.Document{ID: "a", Text: rate})
	if err := d.Save(state); err != nil {
		t.Fatal(err)
	}
	other, err := retold.Load(state)
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, other, retold.Document{ID: "b", Text: football})
	if err := other.Save(state); err != nil {
		t.Fatal(err)
	}
	other.Close()
	e := wantCode(t, d.Save(state), retold.ErrConflict, retold.CodeConflict) // other's "b" is kept
	if !strings.Contains(e.Message, "another writer") {
		t.Fatalf("message %q", e.Message)
	}
	back, err := retold.Load(state)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := back.Stats(); st.Documents != 2 {
		t.Fatalf("documents %d", st.Documents)
	}
	back.Close()
	fresh := newDedup(t)
	wantCode(t, fresh.Save(state), retold.ErrConflict, retold.CodeConflict) // never loaded it
	if err := fresh.SaveReplace(state); err != nil {
		t.Fatal(err)
	}
	back, err = retold.Load(state)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if st, _ := back.Stats(); st.Documents != 0 {
		t.Fatalf("documents %d after SaveReplace", st.Documents)
	}
}

func TestPersistenceErrors(t *testing.T) {
	tmp := t.TempDir()
	d := newDedup(t)
	mustAdd(t, d, retold.Document{ID: "a", Text: rate})
	_, err := retold.Load(filepath.Join(tmp, "nothing-here"))
	wantCode(t, err, retold.ErrNotFound, retold.CodeNotFound)
	blocker := filepath.Join(tmp, "file")
	if err := os.WriteFile(blocker, []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantCode(t, d.Save(filepath.Join(blocker, "state")), retold.ErrIO, retold.CodeIO)
	wantCode(t, d.Save(""), retold.ErrInvalid, retold.CodeInvalid)
	_, err = retold.Load("nul\x00path")
	wantCode(t, err, retold.ErrInvalid, retold.CodeInvalid)

	state := filepath.Join(tmp, "state")
	if err := d.Save(state); err != nil {
		t.Fatal(err)
	}
	err = filepath.Walk(state, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil || len(data) == 0 {
			return err
		}
		data[len(data)/2] ^= 0x5A
		return os.WriteFile(p, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = retold.Load(state)
	wantCode(t, err, retold.ErrCorrupted, retold.CodeCorrupted)
}

func TestSignatureBytesErrors(t *testing.T) {
	d := newDedup(t)
	sig, _ := d.ComputeSignature(rate)
	defer sig.Close()
	raw, _ := sig.MarshalBinary()
	_, err := retold.ParseSignature(raw[:len(raw)-1])
	wantCode(t, err, retold.ErrCorrupted, retold.CodeCorrupted)
	_, err = retold.ParseSignature(nil)
	wantCode(t, err, retold.ErrCorrupted, retold.CodeCorrupted)
	bad := append([]byte(nil), raw...)
	bad[0] = 'X'
	_, err = retold.ParseSignature(bad)
	wantCode(t, err, retold.ErrCorrupted, retold.CodeCorrupted)
	bad = append([]byte(nil), raw...)
	bad[4] = 9 // unknown format version
	_, err = retold.ParseSignature(bad)
	wantCode(t, err, retold.ErrIncompatible, retold.CodeIncompatible)
}

func TestErrorsCarryTheLibraryMessage(t *testing.T) {
	d := newDedup(t)
	err := d.Remove("ghost")
	e := wantCode(t, err, retold.ErrNotFound, retold.CodeNotFound)
	if !strings.HasPrefix(e.Message, "retold_dedup_remove: ") || !strings.Contains(e.Message, "ghost") {
		t.Fatalf("message %q", e.Message)
	}
	if err.Error() != "retold: "+e.Message {
		t.Fatalf("Error() %q", err.Error())
	}
}
