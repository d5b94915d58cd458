"""Every option of retold::deduplicator_options from Python, presets, and the C ABI 1 structs
(struct sizes, add results, stats timings) as the binding sees them."""
import ctypes
import datetime as dt

import pytest

import retold
from retold import _native as N
from conftest import FOOTBALL, RATE, RATE_COPY

# A value other than the default for every keyword option (a consistent combination).
EVERY_OPTION = dict(
    casefold=False, fold_punctuation=False, strip_boilerplate=False, replace_invalid_utf8=True, keep_text=True,
    shingle="character", shingle_size=7, num_hashes=96, minhash_scheme="multiply_shift", minhash_seed=77,
    lsh_bands=24, lsh_rows=4, lsh_threshold=0.3,
    embedding="builtin", dimension=64, word_ngram_max=2, char_ngram_min=3, char_ngram_max=5, sublinear_tf=False,
    df_buckets_log2=12, word_weight=1.5, number_weight=3.0, char_weight=0.5, word_ngram_weight=0.25,
    embedder_seed=99,
    vector_index="ivf", nlist=8, nprobe=4, scalar_quantization=True, ivf_min_size=1000, vector_index_seed=5,
    sketch_words=10, sketch_bigrams=11, sketch_numbers=12, sketch_names=13, sketch_title_words=14,
    sketch_trigrams=15, sketch_seed=16,
    vector_candidates=7, decision="rule", threads=1, match_threshold=0.4, jaccard_threshold=0.35,
    cosine_threshold=0.6, combined_weight_jaccard=0.7, combined_threshold=0.45, copy_jaccard=0.8,
    time_window=7200, max_document_bytes=9000, source_priority=["AP", "AFP"], retention=30 * 86400,
    snippet_bytes=80,
)


def test_every_option_is_settable_and_reads_back():
    with retold.Deduplicator(**EVERY_OPTION) as d:
        got = d.options
        assert set(got) == set(EVERY_OPTION)  # the table names every option, nothing else
        for k, v in EVERY_OPTION.items():
            assert got[k] == v, k
        assert len(d.compute_embedding(RATE)) == 64
        # what options gives back is accepted as it is
        with retold.Deduplicator(**got) as again:
            assert again.options == got


def test_embedder_options_change_the_embedding():
    with retold.Deduplicator() as base, retold.Deduplicator(char_ngram_min=0, char_ngram_max=0,
                                                            number_weight=5.0) as words_only:
        assert list(base.compute_embedding(RATE)) != list(words_only.compute_embedding(RATE))
    with retold.Deduplicator(word_ngram_max=3) as bigrams:
        assert len(bigrams.compute_embedding(RATE)) == 256


@pytest.mark.parametrize("options, needle", [
    (dict(casefold=1), "casefold"), (dict(sublinear_tf="yes"), "sublinear_tf"),
    (dict(char_ngram_min=5, char_ngram_max=3), "char_ngram"), (dict(df_buckets_log2=40), "df_buckets_log2"),
    (dict(number_weight=1e300), "number_weight"), (dict(sketch_words=300), "words"),
    (dict(decision="maybe"), "decision"), (dict(match_threshold=1.0), "match_threshold"),
    (dict(vector_index="flat", scalar_quantization=True), "scalar_quantization"),
    (dict(preset="loose"), "preset"), (dict(minhash_seed=-1), "minhash_seed"),
])
def test_bad_option_values_name_the_option(options, needle):
    with pytest.raises(retold.InvalidArgumentError) as e:
        retold.Deduplicator(**options)
    assert needle in str(e.value)


def test_presets_set_the_match_options_and_explicit_ones_win():
    defaults = retold.Deduplicator().options
    with retold.Deduplicator(preset="copies", time_window=600) as d:
        o = d.options
        assert o["decision"] == "rule" and o["jaccard_threshold"] == 0.5 and o["cosine_threshold"] == 1.0
        assert o["time_window"] == 600 and o["num_hashes"] == defaults["num_hashes"]
    with retold.Deduplicator(preset="stories") as d:
        assert 0 < d.options["match_threshold"] < 1 and d.options["decision"] == "automatic"  # value: presets.cpp
    with retold.Deduplicator(preset="retellings") as d:
        assert d.options == defaults
    with retold.Deduplicator(preset="copies", jaccard_threshold=0.6) as d:
        assert d.options["jaccard_threshold"] == 0.6 and d.options["decision"] == "rule"


def test_copies_preset_keeps_a_retelling_apart():
    retelling = ("Examplestan's central bank lifted its key rate half a point to 7.5% on Tuesday, "
                 "blaming stubborn food and energy inflation; governor Ana Petrova did not rule out more.")
    with retold.Deduplicator(preset="copies") as d:
        d.add("rate", RATE, timestamp=1)
        assert not d.add("copy", RATE_COPY, timestamp=2).new_story
        assert d.add("retold", retelling, timestamp=3).new_story


def test_add_result_names_the_member_that_decided(dedup):
    first = dedup.add("blog", RATE, timestamp=1000)
    assert first.leader_id is None
    copy = dedup.add("wire", RATE_COPY, timestamp=900)
    assert copy.leader_id == "blog"
    batch = dedup.add_many([("wire-2", RATE_COPY + " Also."), ("football", FOOTBALL)])
    assert batch[0].leader_id in ("blog", "wire") and batch[1].leader_id is None


def test_stats_carry_the_per_stage_timings(dedup):
    dedup.add_many([("a", RATE), ("b", RATE_COPY), ("c", FOOTBALL)])
    s = dedup.stats()
    assert set(s.add_seconds) == {"features", "embed", "candidates", "verify_cluster", "index_add"}
    assert s.add_seconds["features"] > 0 and s.add_seconds["embed"] > 0
    assert all(v >= 0 for v in s.add_seconds.values())
    assert 0 <= s.frequency_documents <= s.documents


def test_struct_sizes_match_the_header():
    # every growable struct starts with struct_size, which the binding sets to its own sizeof
    for cls in (N.DedupOptions, N.Document, N.AddResult, N.QueryOptions, N.MatchList, N.ClusterList,
                N.Explanation, N.Stats):
        s = cls()
        assert s.struct_size == ctypes.sizeof(cls), cls.__name__
    assert ctypes.sizeof(N.Scores) == 32  # frozen
    assert N.lib.retold_abi_version() == N.ABI_VERSION == 1
    o = N.DedupOptions()
    o.struct_size = 8  # smaller than the ABI 1.0 struct: refused, naming it
    h = N.DedupP()
    assert N.lib.retold_dedup_new(ctypes.byref(h), ctypes.byref(o)) == N.EINVALID
    assert b"retold_dedup_options" in N.lib.retold_last_error()


def test_time_window_as_timedelta():
    with retold.Deduplicator(time_window=dt.timedelta(hours=2)) as d:
        assert d.options["time_window"] == 7200


def test_members_carry_title_and_snippet():
    with retold.Deduplicator(snippet_bytes=40) as d:
        d.add("a", RATE, title="Rates   up", timestamp=1)
        d.add("b", RATE_COPY, timestamp=2)
        m = d.clusters(2)[0].members
        assert m[0].title == "Rates up" and m[1].title == ""
        assert RATE.startswith(m[0].snippet) and 0 < len(m[0].snippet.encode()) <= 40
    with retold.Deduplicator(snippet_bytes=0) as d:
        d.add("a", RATE)
        assert d.clusters()[0].members[0].snippet == ""
