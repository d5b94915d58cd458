"""The seed corpus clusters the same through Python (-> C ABI -> C++) as through the C++ API
directly (tests/c/seed_clusters_cpp, located by $RETOLD_SEED_TOOL), and as the golden file says."""
import json
import os
import subprocess

import pytest

import retold

MODES = {
    "hybrid": {},
    "lexical": dict(embedding="none", jaccard_threshold=0.25, lsh_threshold=0.2),
}


def cluster_corpus(corpus, golden, mode, batch):
    d = retold.Deduplicator(source_priority=golden["source_priority"], **MODES[mode])
    docs = [retold.Document(r["id"], r["text"], timestamp=r["timestamp"], source=r["source"],
                            title=r.get("title")) for r in corpus]
    if batch:
        assert all(r.ok for r in d.add_many(docs))
    else:
        for doc in docs:
            d.add(doc.id, doc.text, timestamp=doc.timestamp, source=doc.source, title=doc.title)
    return d


def as_plain(stories):
    return [{"id": s.id, "leader": s.leader, "representative": s.representative,
             "members": s.member_ids} for s in stories]


def cpp_stories(mode, seeds_dir):
    tool = os.environ.get("RETOLD_SEED_TOOL")
    if not tool or not os.path.exists(tool):
        pytest.skip("RETOLD_SEED_TOOL (tests/c/seed_clusters_cpp of a CMake build) is not set; "
                    "run bindings/python/run_tests.sh BUILD_DIR")
    out = subprocess.run([tool, mode, str(seeds_dir)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["stories"]


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("batch", [False, True], ids=["add", "add_many"])
def test_python_clusters_like_cpp(corpus, golden, seeds_dir, mode, batch):
    with cluster_corpus(corpus, golden, mode, batch) as d:
        assert as_plain(d.clusters()) == cpp_stories(mode, seeds_dir)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_python_clusters_like_the_golden_file(corpus, golden, mode):
    """The same rule as the C++ suite (tests/dedup_test.cpp): every story found whole, none
    merged, representatives as golden; heavy paraphrases are alone with MinHash only, and either
    alone or in their story in hybrid mode."""
    with cluster_corpus(corpus, golden, mode, batch=False) as d:
        assert len(d) == len(corpus)
        seen = {}
        paraphrases_found = 0
        for story in golden["stories"]:
            ids = set()
            for m in story["members"]:
                c = d.cluster(d.cluster_of(m))
                if m in story.get("paraphrase_members", []):
                    if mode == "lexical" or len(c) == 1:
                        assert len(c) == 1 or mode != "lexical", f"{m} found by MinHash alone"
                        continue
                    paraphrases_found += 1
                ids.add(c.id)
            assert len(ids) == 1, f"story {story['name']} split into {ids}"
            (cid,) = ids
            assert cid not in seen, f"stories {story['name']} and {seen.get(cid)} merged"
            seen[cid] = story["name"]
            assert d.cluster(cid).representative == story["representative"], story["name"]
        # How many paraphrases the embedder finds is the library's quality, checked by the C++
        # suite (DeduplicatorSeeds.HybridFindsEveryStoryIncludingParaphrases); here only that
        # MinHash alone finds none.
        if mode == "lexical":
            assert paraphrases_found == 0
