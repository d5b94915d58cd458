"""Loading a saved state with changed runtime options: only the options given change; every
other option keeps its saved value (not the library default), as deduplicator::load with an
adjuster does in C++."""
import pytest

import retold
from conftest import FOOTBALL, RATE, RATE_COPY

SAVED = dict(time_window=86400, copy_jaccard=0.95, source_priority=["Wire"], max_document_bytes=50000,
             jaccard_threshold=0.35, threads=1, vector_candidates=8)


@pytest.fixture
def state(tmp_path):
    path = tmp_path / "state"
    with retold.Deduplicator(**SAVED) as d:
        d.add("rate", RATE, timestamp=1000, source="Blog")
        d.add("copy", RATE_COPY, timestamp=1100, source="Wire")
        d.add("football", FOOTBALL, timestamp=2000)
        d.save(path)
    return path


def test_no_overrides_keeps_every_saved_option(state):
    with retold.Deduplicator.load(state) as back:
        o = back.options
        for k, v in SAVED.items():
            assert o[k] == v, k


def test_one_override_leaves_the_others_as_saved(state):
    with retold.Deduplicator.load(state, time_window=60) as back:
        o = back.options
        assert o["time_window"] == 60
        for k, v in SAVED.items():
            if k != "time_window":
                assert o[k] == v, k  # NOT reset to the library default


@pytest.mark.parametrize("name, value", [
    ("copy_jaccard", 0.5), ("source_priority", ["AP", "AFP"]), ("max_document_bytes", 4096),
    ("jaccard_threshold", 0.6), ("cosine_threshold", 0.7), ("combined_weight_jaccard", 0.5),
    ("combined_threshold", 0.4), ("threads", 2), ("vector_candidates", 32), ("decision", "rule"),
    ("match_threshold", 0.25), ("retention", 7 * 86400), ("snippet_bytes", 16),
])
def test_each_runtime_option_can_be_overridden_alone(state, name, value):
    with retold.Deduplicator.load(state, **{name: value}) as back:
        o = back.options
        assert o[name] == value
        for k, v in SAVED.items():
            if k != name:
                assert o[k] == v, k


def test_a_preset_at_load_changes_the_match_options_only(state):
    with retold.Deduplicator.load(state, preset="copies") as back:
        o = back.options
        assert o["decision"] == "rule" and o["jaccard_threshold"] == 0.5
        assert o["time_window"] == 86400 and o["source_priority"] == ["Wire"] and o["max_document_bytes"] == 50000


def test_the_loaded_state_goes_on_with_the_override(state):
    with retold.Deduplicator.load(state, max_document_bytes=100) as back:
        with pytest.raises(retold.TooLargeError):
            back.add("long", RATE_COPY + " Again.", timestamp=1200)
        assert back.clusters()[0].member_ids == ["rate", "copy"]


def test_structural_options_must_equal_the_saved_ones(state):
    with retold.Deduplicator.load(state, num_hashes=128, embedding="builtin") as back:  # equal: fine
        assert back.options["num_hashes"] == 128
    with pytest.raises(retold.IncompatibleError) as e:
        retold.Deduplicator.load(state, num_hashes=64)
    assert "num_hashes" in str(e.value)
    with pytest.raises(retold.IncompatibleError):
        retold.Deduplicator.load(state, word_ngram_max=2)


def test_bad_override_values_are_refused(state):
    with pytest.raises(retold.InvalidArgumentError):
        retold.Deduplicator.load(state, copy_jaccard=2.0)
    with pytest.raises(retold.InvalidArgumentError):
        retold.Deduplicator.load(state, time_window=-5)
    with pytest.raises(TypeError):
        retold.Deduplicator.load(state, no_such_option=1)
