package retold_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"testing"

	retold "github.com/retold/retold/bindings/go"
)

// The seed corpus clusters the same through Go (-> C ABI -> C++) as through the C++ API directly
// (tests/c/seed_clusters_cpp, named by $RETOLD_SEED_TOOL), and as seeds/expected_clusters.json
// says.

var seedModes = map[string][]retold.Option{
	"hybrid": nil,
	"lexical": {retold.WithEmbedding(retold.EmbeddingNone), retold.WithJaccardThreshold(0.25),
		retold.WithLSHThreshold(0.2)},
}

type plainStory struct {
	ID             uint64   `json:"id"`
	Leader         string   `json:"leader"`
	Representative string   `json:"representative"`
	Members        []string `json:"members"`
}

func clusterCorpus(t *testing.T, mode string, batch bool) *retold.Deduplicator {
	g := loadGolden(t)
	docs := loadCorpus(t)
	d := newDedup(t, append([]retold.Option{retold.WithSourcePriority(g.SourcePriority...)}, seedModes[mode]...)...)
	if batch {
		res, err := d.AddBatch(docs)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if !r.OK() {
				t.Fatalf("document %d: %v", i, r.Err)
			}
		}
	} else {
		for _, doc := range docs {
			mustAdd(t, d, doc)
		}
	}
	return d
}

func cppStories(t *testing.T, mode string) []plainStory {
	tool := os.Getenv("RETOLD_SEED_TOOL")
	if tool == "" {
		t.Skip("RETOLD_SEED_TOOL (tests/c/seed_clusters_cpp of a CMake build) is not set: run bindings/go/run_tests.sh BUILD_DIR")
	}
	out, err := exec.Command(tool, mode, seedsDir(t)).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", tool, mode, err)
	}
	var parsed struct {
		Stories []plainStory `json:"stories"`
	}
	if err := json.Unmarshal(out, &parsed); err != nil {
		t.Fatalf("%s output: %v", tool, err)
	}
	return parsed.Stories
}

func TestSeedCorpusClustersLikeCpp(t *testing.T) {
	for _, mode := range []string{"hybrid", "lexical"} {
		for _, batch := range []bool{false, true} {
			name := mode + "/add"
			if batch {
				name = mode + "/add_batch"
			}
			t.Run(name, func(t *testing.T) {
				d := clusterCorpus(t, mode, batch)
				stories, err := d.Clusters(0)
				if err != nil {
					t.Fatal(err)
				}
				got := make([]plainStory, len(stories))
				for i, s := range stories {
					got[i] = plainStory{ID: s.ID, Leader: s.Leader, Representative: s.Representative, Members: s.MemberIDs()}
				}
				if want := cppStories(t, mode); !reflect.DeepEqual(got, want) {
					t.Fatalf("Go stories differ from C++:\n got %+v\nwant %+v", got, want)
				}
			})
		}
	}
}

// The same rule as the C++ suite (tests/dedup_test.cpp) and the Python binding: every story found
// whole, none merged, representatives as golden; heavy paraphrases are alone with MinHash only,
// and either alone or in their story in hybrid mode.
func TestSeedCorpusClustersLikeTheGoldenFile(t *testing.T) {
	g := loadGolden(t)
	for _, mode := range []string{"hybrid", "lexical"} {
		t.Run(mode, func(t *testing.T) {
			d := clusterCorpus(t, mode, false)
			st, _ := d.Stats()
			if n := len(loadCorpus(t)); st.Documents != uint64(n) {
				t.Fatalf("%d documents stored, corpus has %d", st.Documents, n)
			}
			seen := map[uint64]string{}
			paraphrasesFound := 0
			for _, story := range g.Stories {
				ids := map[uint64]bool{}
				for _, m := range story.Members {
					cid, err := d.ClusterOf(m)
					if err != nil {
						t.Fatal(err)
					}
					c, err := d.Cluster(cid)
					if err != nil {
						t.Fatal(err)
					}
					if contains(story.ParaphraseMembers, m) {
						if mode == "lexical" && len(c.Members) != 1 {
							t.Fatalf("%s found by MinHash alone", m)
						}
						if len(c.Members) == 1 {
							continue
						}
						paraphrasesFound++
					}
					ids[c.ID] = true
				}
				if len(ids) != 1 {
					t.Fatalf("story %s split into %v", story.Name, ids)
				}
				for cid := range ids {
					if other, dup := seen[cid]; dup {
						t.Fatalf("stories %s and %s merged", story.Name, other)
					}
					seen[cid] = story.Name
					c, _ := d.Cluster(cid)
					if c.Representative != story.Representative {
						t.Fatalf("story %s: representative %s, golden %s", story.Name, c.Representative, story.Representative)
					}
				}
			}
			if mode == "lexical" && paraphrasesFound != 0 {
				t.Fatalf("MinHash alone found %d paraphrases", paraphrasesFound)
			}
			if len(seen) != len(g.Stories) {
				t.Fatalf("%d stories found, golden has %d", len(seen), len(g.Stories))
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
