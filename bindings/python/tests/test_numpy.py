"""Vectors: numpy arrays pass without a copy; the package works without numpy."""
import array
import os
import subprocess
import sys
import textwrap

import pytest

import retold
from retold import _dedup
from conftest import RATE

# the directory the tested package was imported from (the source tree or site-packages)
IMPORT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(retold.__file__)))


def test_numpy_float32_vectors_are_not_copied():
    np = pytest.importorskip("numpy")
    v = np.linspace(0.0, 1.0, 256, dtype=np.float32)
    ptr, n, keep = _dedup._floats(v)
    assert n == 256 and keep is v
    assert ptr.contents is not None
    import ctypes
    assert ctypes.addressof(ptr.contents) == v.ctypes.data  # the array's own memory

    # other dtypes and strided views are converted once, then used
    for other in (v.astype(np.float64), v[::-1], np.asfortranarray(v)):
        ptr, n, keep = _dedup._floats(other)
        assert n == 256 and keep.dtype == np.float32 and keep.flags["C_CONTIGUOUS"]
    with pytest.raises(retold.InvalidArgumentError):
        _dedup._floats(np.zeros((2, 128), dtype=np.float32))


def test_array_float32_buffer_is_not_copied():
    a = array.array("f", [0.5] * 8)
    ptr, n, keep = _dedup._floats(a)
    import ctypes
    assert n == 8 and ctypes.addressof(ptr.contents) == a.buffer_info()[0]


def test_numpy_vectors_work_end_to_end():
    np = pytest.importorskip("numpy")
    with retold.Deduplicator(embedding="external", dimension=4) as d:
        d.add("a", RATE, vector=np.array([1, 0, 0, 0], dtype=np.float32))
        r = d.add("b", "something else entirely", vector=np.array([0.99, 0.05, 0, 0]))
        assert r.leader_scores is not None and r.leader_scores.decision == "cosine"
        assert [m.id for m in d.query_vector(np.array([1, 0, 0, 0], dtype=np.float32))] == ["a", "b"]
    with retold.Deduplicator() as d:
        e = d.compute_embedding(RATE)
        assert isinstance(e, np.ndarray) and e.dtype == np.float32 and e.shape == (256,)


def test_works_without_numpy():
    code = textwrap.dedent(f"""
        import sys, array
        sys.modules["numpy"] = None  # any import of numpy now fails
        sys.path.insert(0, {str(IMPORT_ROOT)!r})
        import retold
        from retold import _dedup
        assert _dedup._np is None
        with retold.Deduplicator() as d:
            d.add("a", {RATE!r})
            e = d.compute_embedding({RATE!r})
            assert isinstance(e, array.array) and e.typecode == "f" and len(e) == 256
            assert d.query_vector(e)[0].id == "a"
            assert d.query_vector(list(e))[0].id == "a"
        with retold.Deduplicator(embedding="external", dimension=2) as d:
            d.add("v", "text", vector=[1.0, 0.0])
            assert d.query_vector((1.0, 0.0))[0].id == "v"
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
