"""The Pythonic API end to end: adding, querying, stories, persistence, lifetime."""
import array
import datetime as dt
import gc
import weakref

import pytest

import retold
from conftest import FOOTBALL, RATE, RATE_COPY, WEATHER


def test_versions():
    assert retold.library_version() == retold.__version__
    major, minor, patch = (int(x) for x in retold.library_version().split("."))
    assert retold.library_version_number() == (major << 16) | (minor << 8) | patch
    assert "libretold_c" in retold.library_path


def test_add_joins_copies_and_opens_new_stories(dedup):
    first = dedup.add("blog", RATE, timestamp=1000, source="Blog")
    assert first.ok and first.new_story and first.cluster_id > 0 and first.leader_scores is None
    copy = dedup.add("wire", RATE_COPY, timestamp=900, source="Wire", title="Examplestan raises rates")
    assert copy.ok and not copy.new_story and copy.cluster_id == first.cluster_id
    assert copy.candidates >= 1
    assert copy.leader_scores.accepted and copy.leader_scores.decision in ("jaccard", "combined", "cosine", "model")
    assert 0.5 < copy.leader_scores.jaccard <= 1.0
    other = dedup.add("football", FOOTBALL, timestamp=2000)
    assert other.new_story and other.cluster_id != first.cluster_id

    assert "blog" in dedup and dedup.contains("wire") and "nobody" not in dedup
    assert len(dedup) == 3
    assert dedup.cluster_of("wire") == first.cluster_id
    # the earlier report represents the story the blog opened
    assert dedup.representative_of("blog") == "wire"
    c = dedup.cluster(first.cluster_id)
    assert (c.id, c.leader, c.representative) == (first.cluster_id, "blog", "wire")
    assert c.member_ids == ["blog", "wire"] and len(c) == 2
    assert c.members[0].source == "Blog" and c.members[0].timestamp == 1000
    assert c.members[0].scores.score == 1.0
    assert c.members[1].source == "Wire" and c.members[1].timestamp == 900
    all_stories = dedup.clusters()
    assert [s.id for s in all_stories] == sorted(s.id for s in all_stories)
    assert sum(len(s) for s in all_stories) == 3
    assert [s.id for s in dedup.clusters(min_members=2)] == [first.cluster_id]
    football = [s for s in all_stories if s.leader == "football"][0]
    assert football.members[0].source == ""

    st = dedup.stats()
    assert (st.documents, st.clusters, st.multi_member_clusters) == (3, 2, 1)
    assert st.documents_added_total == 3 and st.memory_bytes > 0


def test_query_ranks_and_stores_nothing(dedup):
    dedup.add("rate", RATE)
    dedup.add("football", FOOTBALL)
    dedup.add("weather", WEATHER)
    matches = dedup.query(RATE_COPY)
    assert [m.id for m in matches] == ["rate"]
    assert matches[0].cluster_id == dedup.cluster_of("rate") and matches[0].scores.accepted
    assert len(dedup) == 3
    everything = dedup.query(RATE_COPY, include_rejected=True)
    assert [m.scores.score for m in everything] == sorted((m.scores.score for m in everything), reverse=True)
    assert dedup.query(RATE_COPY, top_k=0) == []
    floor = dedup.query(RATE_COPY, include_rejected=True, min_score=0.05)
    assert floor and all(m.scores.score >= 0.05 for m in floor)
    assert dedup.query(FOOTBALL + " More.", min_score=1.0) == []
    with pytest.raises(retold.InvalidArgumentError):
        dedup.query(RATE_COPY, min_score=1.5)
    assert dedup.query("") == []
    assert dedup.query(RATE_COPY.encode()) == matches  # bytes work as well


def test_time_window_applies_to_queries_with_a_timestamp():
    with retold.Deduplicator(time_window=dt.timedelta(hours=1)) as d:
        d.add("rate", RATE, timestamp="2024-03-05T09:00:00Z")
        assert d.query(RATE_COPY, timestamp="2024-03-05T09:30:00Z")
        assert d.query(RATE_COPY, timestamp="2024-03-06T09:30:00Z") == []
        # a copy outside the window opens its own story
        assert d.add("late", RATE_COPY, timestamp=dt.datetime(2024, 3, 7, tzinfo=dt.timezone.utc)).new_story


def test_timestamps_in_every_form(dedup):
    when = dt.datetime(2024, 3, 5, 9, 5, tzinfo=dt.timezone.utc)
    epoch = int(when.timestamp())
    dedup.add("int", RATE, timestamp=epoch)
    dedup.add("float", FOOTBALL, timestamp=float(epoch) + 0.7)
    dedup.add("aware", WEATHER, timestamp=when)
    dedup.add("naive", "naive means UTC", timestamp=when.replace(tzinfo=None))
    dedup.add("iso", "an iso string", timestamp="2024-03-05T09:05:00Z")
    for doc_id in ("int", "float", "aware", "naive", "iso"):
        c = dedup.cluster(dedup.cluster_of(doc_id))
        assert c.members[0].timestamp == epoch, doc_id
    with pytest.raises(retold.InvalidArgumentError):
        dedup.add("bad-ts", RATE, timestamp="yesterday")
    with pytest.raises(TypeError):
        dedup.add("bad-ts", RATE, timestamp=[1])


def test_add_many_equals_adding_one_by_one():
    docs = [("a", RATE), ("b", FOOTBALL), ("c", RATE_COPY), ("d", WEATHER), ("e", FOOTBALL + " Extra time.")]
    with retold.Deduplicator(threads=2) as one, retold.Deduplicator(threads=2) as many:
        singles = [one.add(i, t) for i, t in docs]
        batch = many.add_many(iter(docs), batch_size=2)  # a generator, in three chunks
        assert batch == singles
        assert [c.member_ids for c in one.clusters()] == [c.member_ids for c in many.clusters()]


def test_add_many_accepts_documents_mappings_and_pairs_and_reports_bad_ones(dedup):
    results = dedup.add_many([
        retold.Document("doc", RATE, timestamp=5, source="Wire"),
        {"id": "map", "text": RATE_COPY, "source": "Blog", "timestamp": 6, "title": "Rates"},
        ("pair", FOOTBALL),
        ("bad-utf8", b"broken \xff text"),
        ("doc", WEATHER),                 # duplicate
        {"text": "no id"},                # refused before the library
        ("int-text", 42),                 # refused before the library
        ("ok-after", WEATHER),
    ])
    assert [r.ok for r in results] == [True, True, True, False, False, False, False, True]
    assert results[1].cluster_id == results[0].cluster_id
    assert isinstance(results[3].error, retold.InvalidUtf8Error)
    assert "docs[3]" in str(results[3].error) and "bad-utf8" in str(results[3].error)
    assert isinstance(results[4].error, retold.DuplicateIdError) and "'doc'" in str(results[4].error)
    assert isinstance(results[5].error, retold.InvalidArgumentError)
    assert isinstance(results[6].error, retold.InvalidArgumentError)
    assert all(r.cluster_id == 0 for r in results if not r.ok)
    assert len(dedup) == 4
    assert dedup.add_many([]) == []
    with pytest.raises(retold.InvalidArgumentError):
        dedup.add_many([("x", RATE)], batch_size=0)


def test_remove_and_evict(dedup):
    dedup.add("old", RATE, timestamp=10)
    dedup.add("copy", RATE_COPY, timestamp=20)
    dedup.add("new", FOOTBALL, timestamp=30)
    story = dedup.cluster_of("old")
    dedup.remove("old")
    assert "old" not in dedup
    assert dedup.cluster_of("copy") == story  # the story keeps its id
    with pytest.raises(retold.NotFoundError):
        dedup.remove("old")
    assert dedup.evict_before(25) == 1
    assert dedup.evict_before(25) == 0
    assert [c.member_ids for c in dedup.clusters()] == [["new"]]
    st = dedup.stats()
    assert st.documents == 1 and st.documents_removed_total == 2 and st.documents_added_total == 3


def test_explain_with_and_without_text():
    with retold.Deduplicator(keep_text=True) as d:
        d.add("a", RATE)
        d.add("b", RATE_COPY)
        d.add("c", FOOTBALL)
        e = d.explain("a", "b")
        assert e.scores.accepted and e.shared_terms and "examplestan" in e.shared_passage
        assert not d.explain("a", "c").scores.accepted
    with retold.Deduplicator() as d:
        d.add("a", RATE)
        d.add("b", RATE_COPY)
        e = d.explain("a", "b")
        assert e.shared_terms == () and e.shared_passage == ""


def test_options_round_trip():
    opts = dict(embedding="external", dimension=8, shingle="character", shingle_size=4, num_hashes=64,
                minhash_scheme="multiply_shift", minhash_seed=7, lsh_bands=16, lsh_rows=4,
                jaccard_threshold=0.4, cosine_threshold=0.9, combined_weight_jaccard=0.0,
                combined_threshold=0.8, copy_jaccard=0.95, time_window=60, max_document_bytes=5000, threads=2,
                source_priority=["A", "B"], keep_text=True, strip_boilerplate=False, casefold=False,
                replace_invalid_utf8=True, vector_candidates=4, vector_index="flat")
    with retold.Deduplicator(**opts) as d:
        got = d.options
        for k, v in opts.items():
            assert got[k] == v, k
    defaults = retold.Deduplicator().options
    assert defaults["embedding"] == "builtin" and defaults["num_hashes"] == 128
    assert defaults["lsh_bands"] * defaults["lsh_rows"] <= 128 and defaults["source_priority"] == []


def test_save_and_load(tmp_path, dedup):
    dedup.add("rate", RATE, timestamp=1, source="Blog")
    dedup.add("copy", RATE_COPY, timestamp=2, source="Wire")
    dedup.add("football", FOOTBALL, timestamp=3)
    state = tmp_path / "state"
    dedup.save(state)            # a pathlib.Path
    dedup.save(str(state))       # a str; overwriting is fine
    with retold.Deduplicator.load(state) as back:
        assert back.clusters() == dedup.clusters()
        assert back.options["source_priority"] == ["Wire"]
        r = back.add("copy-2", RATE_COPY + " More.", timestamp=4)
        assert r.cluster_id == dedup.cluster_of("rate")
    with retold.Deduplicator.load(state, time_window=3600) as back:
        assert back.options["time_window"] == 3600


def test_signatures(dedup):
    a = dedup.compute_signature(RATE)
    b = dedup.compute_signature(RATE_COPY)
    c = dedup.compute_signature(FOOTBALL)
    assert len(a) == 128 and len(a.values()) == 128
    assert 0.5 < a.jaccard(b) <= 1.0 and a.jaccard(c) < 0.1 and a.jaccard(a) == 1.0
    raw = a.to_bytes()
    assert raw[:4] == b"RTSG" and len(raw) == 20 + 4 * 128
    back = retold.Signature.from_bytes(raw)
    assert back == a and back.values() == a.values() and back.jaccard(a) == 1.0
    a.close()
    a.close()
    with pytest.raises(retold.ClosedError):
        a.values()
    with pytest.raises(TypeError):
        retold.Signature()


def test_embeddings_and_vector_queries(dedup):
    dedup.add("rate", RATE)
    dedup.add("football", FOOTBALL)
    v = dedup.compute_embedding(RATE)
    assert len(v) == 256
    assert abs(sum(float(x) * float(x) for x in v) - 1.0) < 1e-3
    by_vector = dedup.query_vector(v)
    assert by_vector[0].id == "rate" and by_vector[0].scores.cosine > 0.9
    # the same through a list and an array.array
    assert dedup.query_vector([float(x) for x in v])[0].id == "rate"
    assert dedup.query_vector(array.array("f", [float(x) for x in v]))[0].id == "rate"
    with retold.Deduplicator(embedding="none") as lexical:
        assert len(lexical.compute_embedding(RATE)) == 0


def test_external_vectors():
    with retold.Deduplicator(embedding="external", dimension=4) as d:
        d.add("v1", RATE, vector=[1.0, 0.0, 0.0, 0.0])
        joined = d.add("v2", FOOTBALL, vector=(0.99, 0.05, 0.0, 0.0))
        assert not joined.new_story and joined.leader_scores.decision == "cosine"
        assert d.add("v3", WEATHER, vector=array.array("f", [0, 0, 1, 0])).new_story
        assert [m.id for m in d.query_vector([1, 0, 0, 0])] == ["v1", "v2"]
        with pytest.raises(retold.IncompatibleError):
            d.add("missing", WEATHER)


def test_context_manager_close_and_garbage_collection():
    with retold.Deduplicator() as d:
        d.add("a", RATE)
    assert d.closed
    d.close()  # idempotent
    with pytest.raises(retold.ClosedError):
        d.add("b", RATE)
    with pytest.raises(retold.ClosedError):
        d.query(RATE)
    assert "closed" in repr(d)

    # dropped without close(): the collector frees it exactly once
    d = retold.Deduplicator()
    d.add("a", RATE)
    ref = weakref.ref(d)
    del d
    gc.collect()
    assert ref() is None

    # an object whose construction failed is collected without error
    with pytest.raises(retold.InvalidArgumentError):
        retold.Deduplicator(jaccard_threshold=2.0)
    gc.collect()


def test_explain_gives_every_feature_and_its_contribution(dedup):
    dedup.add("blog", RATE, timestamp=1000, source="Blog")
    dedup.add("wire", RATE_COPY, timestamp=900, source="Wire", title="Examplestan raises rates")
    dedup.add("football", FOOTBALL, timestamp=2000)
    same = dedup.explain("blog", "wire")
    names = [f.name for f in same.features]
    assert names[:3] == ["jaccard", "containment", "cosine"] and len(names) >= 14
    assert 0.5 < same.probability < 1.0
    assert dict((f.name, f.value) for f in same.features)["jaccard"] == pytest.approx(same.scores.jaccard)
    other = dedup.explain("blog", "football")
    assert other.probability < same.probability
    assert sum(f.contribution for f in other.features) < sum(f.contribution for f in same.features)
