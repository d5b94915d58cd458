"""Every C status code surfaces as its typed exception, carrying the library's message."""
import os

import pytest

import retold
from conftest import FOOTBALL, RATE


def test_hierarchy():
    for cls in (retold.InvalidArgumentError, retold.InvalidUtf8Error, retold.NotFoundError,
                retold.IncompatibleError, retold.RetoldIOError, retold.CorruptedStateError,
                retold.OutOfMemoryError, retold.TooLargeError, retold.DuplicateIdError,
                retold.ParseError, retold.InternalError, retold.ClosedError, retold.ConflictError):
        assert issubclass(cls, retold.RetoldError)
    assert issubclass(retold.NotFoundError, KeyError)
    assert issubclass(retold.RetoldIOError, OSError)
    assert issubclass(retold.InvalidArgumentError, ValueError)
    assert issubclass(retold.OutOfMemoryError, MemoryError)


def test_invalid_utf8(dedup):
    with pytest.raises(retold.InvalidUtf8Error) as e:
        dedup.add("bad", b"Valid start \xff\xfe then garbage")
    assert e.value.code == -2 and "'bad'" in str(e.value) and "12" in str(e.value)
    for bad in (b"overlong \xc0\xaf", b"surrogate \xed\xa0\x80", b"cut \xe2\x82"):
        with pytest.raises(retold.InvalidUtf8Error):
            dedup.add("bad", bad)
    with pytest.raises(retold.InvalidUtf8Error):
        dedup.add("bad", RATE, title=b"\x80 title")
    with pytest.raises(retold.InvalidUtf8Error):
        dedup.add("lone-surrogate", "text \ud800 here")
    with pytest.raises(retold.InvalidUtf8Error):
        dedup.query(b"\xff")
    with pytest.raises(retold.InvalidUtf8Error):
        dedup.compute_signature(b"\xff")
    assert len(dedup) == 0  # nothing stored by a refused add
    with retold.Deduplicator(replace_invalid_utf8=True) as lenient:
        assert lenient.add("ok", b"broken \xff text").ok


def test_not_found(dedup):
    dedup.add("a", RATE)
    with pytest.raises(retold.NotFoundError) as e:
        dedup.cluster_of("nobody")
    assert e.value.code == -3 and "nobody" in str(e.value)
    with pytest.raises(KeyError):
        dedup.remove("nobody")
    with pytest.raises(retold.NotFoundError):
        dedup.representative_of("nobody")
    with pytest.raises(retold.NotFoundError):
        dedup.cluster(987654)
    with pytest.raises(retold.NotFoundError):
        dedup.explain("a", "nobody")


def test_duplicate_and_invalid_ids(dedup):
    dedup.add("a", RATE)
    with pytest.raises(retold.DuplicateIdError) as e:
        dedup.add("a", FOOTBALL)
    assert "'a'" in str(e.value) and e.value.code == -9
    with pytest.raises(retold.InvalidArgumentError):
        dedup.add("", RATE)
    with pytest.raises(retold.InvalidArgumentError):
        dedup.add("x" * 1100, RATE)
    with pytest.raises(retold.InvalidArgumentError):
        dedup.add("nul\0inside", RATE)
    with pytest.raises(retold.InvalidArgumentError):
        dedup.add("ok", RATE, source="nul\0inside")
    with pytest.raises(TypeError):
        dedup.add(None, RATE)
    with pytest.raises(TypeError):
        dedup.add("typed", 3.5)


def test_too_large():
    with retold.Deduplicator(max_document_bytes=100) as d:
        with pytest.raises(retold.TooLargeError) as e:
            d.add("big", "x" * 200)
        assert "big" in str(e.value)


@pytest.mark.parametrize("options", [
    dict(jaccard_threshold=1.5), dict(cosine_threshold=-0.1), dict(lsh_threshold=1.0),
    dict(embedding="bogus"), dict(shingle="sentence"), dict(num_hashes=0), dict(num_hashes=70000),
    dict(lsh_bands=8), dict(embedding="external"), dict(embedding="none", dimension=16),
    dict(time_window=-1), dict(source_priority="Reuters"), dict(vector_index="hnsw"),
    dict(threads=-2), dict(minhash_scheme="md5"),
])
def test_invalid_options(options):
    with pytest.raises(retold.InvalidArgumentError) as e:
        retold.Deduplicator(**options)
    assert str(e.value)
    with pytest.raises(TypeError):
        retold.Deduplicator(no_such_option=1)


def test_incompatible(dedup, tmp_path):
    dedup.add("a", RATE)
    with pytest.raises(retold.IncompatibleError) as e:
        dedup.query_vector([1.0, 0.0])
    assert "2" in str(e.value)
    with retold.Deduplicator(num_hashes=64) as small:
        with pytest.raises(retold.IncompatibleError):
            dedup.compute_signature(RATE).jaccard(small.compute_signature(RATE))
    with retold.Deduplicator(embedding="none") as lexical:
        with pytest.raises(retold.IncompatibleError):
            lexical.add("v", RATE, vector=[1.0] * 256)
        with pytest.raises(retold.IncompatibleError):
            lexical.query_vector([1.0] * 256)
    dedup.save(tmp_path / "s")
    with pytest.raises(retold.IncompatibleError):
        retold.Deduplicator.load(tmp_path / "s", num_hashes=64)
    with pytest.raises(retold.InvalidArgumentError):
        dedup.query_vector([float("nan")] * 256)


def test_two_writers_conflict(dedup, tmp_path):
    state = tmp_path / "state"
    dedup.add("a", RATE)
    dedup.save(state)
    with retold.Deduplicator.load(state) as other:
        other.add("b", FOOTBALL)
        other.save(state)
    with pytest.raises(retold.ConflictError) as e:
        dedup.save(state)       # other saved in between: refused, other's "b" kept
    assert e.value.code == -11 and "another writer" in str(e.value)
    with retold.Deduplicator.load(state) as back:
        assert back.stats().documents == 2
    with retold.Deduplicator() as fresh:
        with pytest.raises(retold.ConflictError):
            fresh.save(state)   # never loaded it: does not replace it
        fresh.save(state, replace=True)
    with retold.Deduplicator.load(state) as back:
        assert back.stats().documents == 0


def test_persistence_errors(dedup, tmp_path):
    dedup.add("a", RATE)
    with pytest.raises(retold.NotFoundError):
        retold.Deduplicator.load(tmp_path / "nothing-here")
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    with pytest.raises(retold.RetoldIOError) as e:
        dedup.save(blocker / "state")
    assert isinstance(e.value, OSError) and e.value.code == -5
    with pytest.raises(retold.InvalidArgumentError):
        dedup.save("")

    state = tmp_path / "state"
    dedup.save(state)
    for root, _, files in os.walk(state):
        for name in files:
            p = os.path.join(root, name)
            data = bytearray(open(p, "rb").read())
            if data:
                data[len(data) // 2] ^= 0x5A
                open(p, "wb").write(bytes(data))
    with pytest.raises(retold.CorruptedStateError) as e:
        retold.Deduplicator.load(state)
    assert e.value.code == -6


def test_signature_bytes_errors(dedup):
    raw = bytearray(dedup.compute_signature(RATE).to_bytes())
    with pytest.raises(retold.CorruptedStateError):
        retold.Signature.from_bytes(raw[:-1])
    with pytest.raises(retold.CorruptedStateError):
        retold.Signature.from_bytes(b"")
    bad_magic = bytearray(raw)
    bad_magic[0] = ord("X")
    with pytest.raises(retold.CorruptedStateError):
        retold.Signature.from_bytes(bad_magic)
    raw[4] = 9  # unknown format version
    with pytest.raises(retold.IncompatibleError):
        retold.Signature.from_bytes(raw)


def test_errors_carry_the_library_message_and_code(dedup):
    with pytest.raises(retold.RetoldError) as e:
        dedup.remove("ghost")
    assert e.value.message.startswith("retold_dedup_remove: ") and "ghost" in e.value.message
    assert e.value.code == -3
