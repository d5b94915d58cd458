"""The Pythonic layer over the C ABI: Deduplicator, Signature and plain result objects."""
from __future__ import annotations

import array
import ctypes
import datetime as _dt
import os
import re
import threading
from collections.abc import Iterable, Mapping
from ctypes import (POINTER, byref, c_char, c_char_p, c_double, c_float, c_int32, c_uint8,
                    c_uint32, c_uint64, cast, create_string_buffer)
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple, Union

from . import _native as N
from . import _options
from ._errors import (ClosedError, InvalidArgumentError, InvalidUtf8Error, RetoldError, check,
                      error_for)

try:  # optional: vectors as numpy arrays without a copy, embeddings returned as numpy arrays
    import numpy as _np
except ImportError:  # the package works without numpy
    _np = None

_lib = N.lib
_DOCS_INDEX = re.compile(r"^docs\[\d+\]")

Timestamp = Union[int, float, _dt.datetime, str, None]


# ---------------------------------------------------------------- results (plain, immutable)

@dataclass(frozen=True)
class Scores:
    """The scores of one pair of documents."""
    jaccard: float        #: MinHash estimate of the Jaccard similarity of the shingle sets
    cosine: float         #: cosine of the embeddings (0.0 when has_cosine is False)
    score: float          #: in [0, 1]: the match model's probability (or the threshold rule's score)
    has_cosine: bool
    decision: str         #: "rejected", "jaccard", "cosine", "combined" or "model"

    @property
    def accepted(self) -> bool:
        return self.decision != "rejected"


@dataclass(frozen=True)
class AddResult:
    """What adding one document did. For add_many(), `error` is the exception of a skipped
    document (nothing of it was stored) and the other fields are zero."""
    cluster_id: int
    new_story: bool
    candidates: int
    leader_scores: Optional[Scores]  #: scores against the story's leader when it joined one
    error: Optional[RetoldError] = None
    #: the member that decided when it joined (the story's leader, or the member it copies)
    leader_id: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Match:
    """A stored document similar to a query."""
    id: str
    cluster_id: int
    scores: Scores


@dataclass(frozen=True)
class Member:
    """A member of a story, with its scores against the leader when it joined."""
    id: str
    source: str
    timestamp: int
    scores: Scores
    title: str = ""    #: the title as given, cleaned (at most 1024 bytes)
    snippet: str = ""  #: the opening of the text, at most snippet_bytes bytes when it was added


@dataclass(frozen=True)
class Cluster:
    """One story."""
    id: int
    representative: str
    leader: str
    members: Tuple[Member, ...]

    @property
    def member_ids(self) -> List[str]:
        return [m.id for m in self.members]

    def __len__(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Feature:
    """One feature of a pair's evidence: its value and how far it moved the match model's log-odds."""
    name: str
    value: float
    contribution: float


@dataclass(frozen=True)
class Explanation:
    scores: Scores
    shared_terms: Tuple[str, ...]
    shared_passage: str
    #: the evidence, feature by feature (include/retold/verify.hpp: match_feature), in model order
    features: Tuple[Feature, ...] = ()
    #: the learned match model's probability that the two are one story
    probability: float = 0.0


@dataclass(frozen=True)
class Stats:
    documents: int
    clusters: int
    multi_member_clusters: int
    documents_added_total: int
    documents_removed_total: int
    memory_bytes: int
    #: documents in the built-in embedder's document frequencies (0 in other modes)
    frequency_documents: int = 0
    #: wall-clock seconds inside add calls by stage since created or loaded: "features", "embed",
    #: "candidates", "verify_cluster", "index_add"
    add_seconds: Mapping[str, float] = field(default_factory=dict)


@dataclass
class Document:
    """One report for Deduplicator.add_many() (a Mapping with the same keys works too)."""
    id: str
    text: Union[str, bytes]
    timestamp: Timestamp = None
    source: Optional[str] = None
    title: Optional[Union[str, bytes]] = None
    vector: Any = None


# ---------------------------------------------------------------- conversions

def _scores(s: N.Scores) -> Scores:
    d = s.decision
    return Scores(s.jaccard, s.cosine, s.score, bool(s.has_cosine),
                  N.DECISIONS[d] if 0 <= d < len(N.DECISIONS) else str(d))


def _text(value, what: str) -> bytes:
    """A text argument as UTF-8 bytes. str is encoded; bytes-like objects pass as they are (the
    library validates them, so invalid UTF-8 raises InvalidUtf8Error)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError as e:  # lone surrogates
            raise InvalidUtf8Error(f"{what} cannot be encoded as UTF-8: {e}") from None
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")


def _cstr(value, what: str) -> bytes:
    """A NUL-terminated string argument (id, source, path)."""
    if type(value) is str:  # the common case first: ids are str
        try:
            b = value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvalidUtf8Error(f"{what} cannot be encoded as UTF-8: {e}") from None
    else:
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        b = _text(value, what)
    if b"\0" in b:
        raise InvalidArgumentError(f"{what} contains a NUL character")
    return b


def _timestamp(ts: Timestamp) -> int:
    """Seconds since the Unix epoch: int/float seconds, a datetime (naive = UTC), or an ISO 8601
    string such as "2024-03-05T09:05:00Z"."""
    if ts is None:
        return 0
    if isinstance(ts, bool):
        raise TypeError("timestamp must be a number, datetime or ISO 8601 string, not bool")
    if isinstance(ts, int):
        return ts
    if isinstance(ts, float):
        return int(ts)
    if isinstance(ts, str):
        try:
            ts = _dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidArgumentError(f"timestamp {ts!r} is not ISO 8601") from None
    if isinstance(ts, _dt.datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=_dt.timezone.utc)
        return int(ts.timestamp())
    if _np is not None and isinstance(ts, _np.integer):
        return int(ts)
    raise TypeError(f"timestamp must be a number, datetime or ISO 8601 string, not {type(ts).__name__}")


_FloatP = POINTER(c_float)


def _floats(vector) -> Tuple[Any, int, Any]:
    """(pointer, length, keep-alive) for a vector of float32. A C-contiguous 1-D numpy float32
    array and a writable float32 buffer (array.array('f')) are passed without a copy; anything
    else is converted once."""
    if _np is not None and isinstance(vector, _np.ndarray):
        if vector.ndim != 1:
            raise InvalidArgumentError(f"vector must be 1-dimensional, got shape {vector.shape}")
        if vector.dtype != _np.float32 or not vector.flags["C_CONTIGUOUS"]:
            vector = _np.ascontiguousarray(vector, dtype=_np.float32)
        return vector.ctypes.data_as(_FloatP), int(vector.shape[0]), vector
    try:
        view = memoryview(vector)
    except TypeError:
        view = None
    if view is not None:
        if view.format == "f" and view.ndim == 1 and view.contiguous and not view.readonly:
            n = view.shape[0]
            buf = (c_float * n).from_buffer(view) if n else (c_float * 0)()
            return cast(buf, _FloatP), n, (buf, view)
        view.release()
    values = list(vector)
    buf = (c_float * len(values))(*values)
    return cast(buf, _FloatP), len(values), buf


def _fill_document(doc: N.Document, id, text, timestamp, source, title, vector) -> None:
    """Fills a C document; ctypes keeps the encoded bytes alive inside `doc`."""
    doc.id = _cstr(id, "id")
    t = _text(text, "text")
    doc.text = t
    doc.text_len = len(t)
    if title is not None:
        tt = _text(title, "title")
        doc.title = tt
        doc.title_len = len(tt)
    if source is not None:
        doc.source = _cstr(source, "source")
    doc.timestamp = _timestamp(timestamp)
    if vector is not None:
        ptr, n, keep = _floats(vector)
        doc.vector = ptr
        doc.vector_dim = n
        return keep
    return None


def _add_result(r: N.AddResult) -> AddResult:
    if r.has_leader:
        return AddResult(r.cluster_id, bool(r.new_story), r.candidates, _scores(r.leader_scores), None,
                         r.leader_id.decode() if r.leader_id else None)
    return AddResult(r.cluster_id, bool(r.new_story), r.candidates, None)


def _matches(m: N.MatchList) -> List[Match]:
    return [Match(it.id.decode(), it.cluster_id, _scores(it.scores))
            for it in (m.items[i] for i in range(m.count))]


def _clusters(cl: N.ClusterList) -> List[Cluster]:
    out = []
    for i in range(cl.count):
        c = cl.items[i]
        members = tuple(Member(m.id.decode(), m.source.decode(), m.timestamp, _scores(m.scores),
                               m.title.decode("utf-8", "replace"), m.snippet.decode("utf-8", "replace"))
                        for m in (c.members[j] for j in range(c.member_count)))
        out.append(Cluster(c.id, c.representative.decode(), c.leader.decode(), members))
    return out


# ---------------------------------------------------------------- the deduplicator

class Deduplicator:
    """Finds retellings online and keeps them as stories (retold::deduplicator through the C ABI).

    Keyword options (None or absent = the library's default), every field of
    retold::deduplicator_options (README.md lists them with their C names):
      normalization: casefold, fold_punctuation, strip_boilerplate, replace_invalid_utf8, keep_text;
      shingles/MinHash/LSH: shingle ("word", "character"), shingle_size, num_hashes,
        minhash_scheme ("one_permutation", "multiply_shift"), minhash_seed, lsh_bands, lsh_rows,
        lsh_threshold;
      embeddings: embedding ("builtin", "external", "none"), dimension (the built-in embedder's,
        or the caller vectors' with "external"), word_ngram_max, char_ngram_min, char_ngram_max,
        sublinear_tf, df_buckets_log2, word_weight, number_weight, char_weight,
        word_ngram_weight, embedder_seed;
      vector index: vector_index ("automatic", "flat", "ivf"), nlist, nprobe,
        scalar_quantization, ivf_min_size, vector_index_seed;
      evidence sketch: sketch_words, sketch_bigrams, sketch_numbers, sketch_names,
        sketch_title_words, sketch_trigrams, sketch_seed;
      runtime (may change at load): vector_candidates, decision ("automatic", "model", "rule"),
        threads, match_threshold, jaccard_threshold, cosine_threshold, combined_weight_jaccard,
        combined_threshold, copy_jaccard, time_window (seconds or timedelta), max_document_bytes,
        source_priority (outlets, best first), retention (seconds or timedelta: saved with the
        state for the caller's evict_before; never applied by the library), snippet_bytes;
      preset ("copies", "retellings", "stories"): sets the match options first; explicit ones win.

    Thread safety: one Deduplicator may be used from many threads; the C library does the
    locking (queries run in parallel, adds serialize) and ctypes releases the GIL during calls.
    close() waits for calls in progress and is idempotent; the garbage collector closes a
    forgotten one.
    """

    __slots__ = ("_handle", "_lock", "_idle", "_active", "_dim", "__weakref__")

    def __init__(self, **options):
        self._handle = None
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active = 0
        self._dim = None
        opts, _, keep = _options.build(options)
        handle = N.DedupP()
        check(_lib.retold_dedup_new(byref(handle), byref(opts)))
        del keep
        self._handle = handle

    @classmethod
    def load(cls, path, **overrides) -> "Deduplicator":
        """Loads a state written by save(). Every option keeps its SAVED value except the
        runtime options given here (and the match options of `preset`), so a nightly job passes
        only what it means to change. Structural options given must equal the saved ones
        (IncompatibleError). NotFoundError when `path` holds no state, CorruptedStateError for a
        damaged one."""
        self = cls.__new__(cls)
        self._handle = None
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active = 0
        self._dim = None
        handle = N.DedupP()
        p = _cstr(path, "path")
        opts, bits, keep = _options.build(overrides)
        rc = _lib.retold_dedup_load(byref(handle), p, byref(opts) if bits else None, bits)
        del keep
        check(rc)
        self._handle = handle
        try:
            _options.check_structural(overrides, self.options)
        except BaseException:
            self.close()
            raise
        return self

    # -- lifetime: a call holds the handle; close() waits until no call holds it

    def _enter(self):
        # explicit acquire/release: this runs around every call, `with` costs more
        lock = self._lock
        lock.acquire()
        h = self._handle
        if h is None:
            lock.release()
            raise ClosedError("the Deduplicator is closed")
        self._active += 1
        lock.release()
        return h

    def _leave(self):
        lock = self._lock
        lock.acquire()
        self._active -= 1
        if not self._active and self._handle is None:  # close() is waiting
            self._idle.notify_all()
        lock.release()

    def _call(self, fn, *args):
        """Calls fn(handle, *args) inside the open-handle guard; raises the mapped error."""
        h = self._enter()
        try:
            rc = fn(h, *args)
        finally:
            self._leave()
        if rc:
            raise error_for(rc)

    def _match_call(self, fn, *args) -> List[Match]:
        """Calls fn(handle, *args, &list) in the guard; converts and disposes the match list."""
        m = N.MatchList()
        h = self._enter()
        try:
            rc = fn(h, *args, byref(m))
            try:
                if rc:
                    raise error_for(rc)
                return _matches(m)
            finally:
                _lib.retold_match_list_dispose(byref(m))
        finally:
            self._leave()

    def close(self) -> None:
        """Releases the native state. Idempotent; waits for calls running in other threads."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            h = self._handle
            if h is None:
                return
            self._handle = None  # new calls now fail with ClosedError
            while self._active:
                self._idle.wait()
        _lib.retold_dedup_free(h)

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Deduplicator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing sensible left to do
            pass

    def __repr__(self) -> str:
        if self._handle is None:
            return "<retold.Deduplicator closed>"
        s = self.stats()
        return f"<retold.Deduplicator documents={s.documents} clusters={s.clusters}>"

    # -- adding

    def add(self, id: str, text: Union[str, bytes], *, timestamp: Timestamp = None,
            source: Optional[str] = None, title: Optional[Union[str, bytes]] = None,
            vector=None) -> AddResult:
        """Adds one report and assigns it to a story. Raises DuplicateIdError, InvalidUtf8Error,
        TooLargeError, InvalidArgumentError, IncompatibleError (vector); nothing is stored then."""
        doc = N.Document()
        keep = _fill_document(doc, id, text, timestamp, source, title, vector)
        res = N.AddResult()
        h = self._enter()
        try:
            rc = _lib.retold_dedup_add(h, byref(doc), byref(res))
            del keep
            if rc:
                raise error_for(rc)
            # leader_id lives in this thread's storage until its next add: read it now
            return _add_result(res)
        finally:
            self._leave()

    def add_many(self, documents: Iterable, *, batch_size: int = 1024) -> List[AddResult]:
        """Adds reports in order, as add() on each would, computing their features on the
        library's worker threads. Items are Document objects, Mappings with the same keys (id,
        text, timestamp, source, title, vector) or (id, text) pairs. A bad document does not
        stop the others: its AddResult carries the exception in `error`."""
        if batch_size <= 0:
            raise InvalidArgumentError("batch_size must be > 0")
        results: List[AddResult] = []
        chunk: list = []
        for item in documents:
            chunk.append(item)
            if len(chunk) == batch_size:
                results.extend(self._add_chunk(chunk))
                chunk = []
        if chunk:
            results.extend(self._add_chunk(chunk))
        return results

    def _add_chunk(self, items: list) -> List[AddResult]:
        out: List[Optional[AddResult]] = [None] * len(items)
        sent: List[int] = []      # caller index of each document handed to the library
        structs: List[N.Document] = []
        keep = []
        for i, item in enumerate(items):
            doc = N.Document()
            try:
                if isinstance(item, Document):
                    fields = (item.id, item.text, item.timestamp, item.source, item.title, item.vector)
                elif isinstance(item, Mapping):
                    fields = (item["id"], item["text"], item.get("timestamp"), item.get("source"),
                              item.get("title"), item.get("vector"))
                else:
                    doc_id, text = item
                    fields = (doc_id, text, None, None, None, None)
                keep.append(_fill_document(doc, *fields))
            except (RetoldError, TypeError, ValueError, KeyError) as e:
                # refused before the library saw it
                err = e if isinstance(e, RetoldError) else InvalidArgumentError(f"document {i}: {e!r}")
                out[i] = AddResult(0, False, 0, None, err)
                continue
            sent.append(i)
            structs.append(doc)
        n = len(structs)
        if n:
            docs = (N.Document * n)(*structs)
            results = (N.AddResult * n)()
            results[0].struct_size = ctypes.sizeof(N.AddResult)  # the stride of the array
            added = c_uint64()
            h = self._enter()
            try:
                rc = _lib.retold_dedup_add_batch(h, docs, n, results, byref(added))
                check(rc)
                for k in range(n):
                    r = results[k]
                    i = sent[k]
                    if r.status == N.OK:
                        out[i] = _add_result(r)
                        continue
                    # the message says docs[k] (k counts the documents sent): use the caller's index
                    raw = r.error.decode("utf-8", "replace") if r.error else _lib.retold_error_name(r.status).decode()
                    msg = _DOCS_INDEX.sub(f"docs[{i}]", raw, count=1)
                    out[i] = AddResult(0, False, 0, None, error_for(r.status, msg))
            finally:
                self._leave()
        del keep
        return out  # type: ignore[return-value]

    # -- prepared documents: features computed in one place, added in another (retold.dask)

    def prepare(self, id: str, text: Union[str, bytes], *, timestamp: Timestamp = None,
                source: Optional[str] = None, title: Optional[Union[str, bytes]] = None,
                vector=None) -> "Prepared":
        """The features of one report with this deduplicator's configuration (signature, LSH
        band keys, evidence sketch, embedder terms or the normalized vector, title, snippet),
        nothing stored: add it here or in any Deduplicator of the same configuration with
        add_prepared(), or move it as bytes (Prepared.to_bytes()). Raises what add() raises for
        the document (InvalidArgumentError, InvalidUtf8Error, TooLargeError, IncompatibleError).
        Takes no lock in the library: any number of threads may prepare at once."""
        doc = N.Document()
        keep = _fill_document(doc, id, text, timestamp, source, title, vector)
        out = N.PreparedP()
        h = self._enter()
        try:
            rc = _lib.retold_dedup_prepare(byref(out), h, byref(doc))
        finally:
            self._leave()
        del keep
        check(rc)
        return Prepared._wrap(out)

    def add_prepared(self, documents: Iterable, *, batch_size: int = 4096) -> List[AddResult]:
        """Adds prepared documents (Prepared objects or their to_bytes()) in order: exactly the
        results add_many() gives for the same reports. A duplicate id is skipped (its AddResult
        carries DuplicateIdError). Raises IncompatibleError, with nothing of that batch stored,
        when a document was prepared with another configuration; CorruptedStateError for
        damaged bytes."""
        if batch_size <= 0:
            raise InvalidArgumentError("batch_size must be > 0")
        results: List[AddResult] = []
        chunk: list = []
        for item in documents:
            chunk.append(item if isinstance(item, Prepared) else Prepared.from_bytes(item))
            if len(chunk) == batch_size:
                results.extend(self._add_prepared_chunk(chunk))
                chunk = []
        if chunk:
            results.extend(self._add_prepared_chunk(chunk))
        return results

    def _add_prepared_chunk(self, items: list) -> List[AddResult]:
        n = len(items)
        handles = (N.PreparedP * n)(*(p._h() for p in items))
        results = (N.AddResult * n)()
        results[0].struct_size = ctypes.sizeof(N.AddResult)
        added = c_uint64()
        out: List[AddResult] = []
        h = self._enter()
        try:
            check(_lib.retold_dedup_add_prepared_batch(h, handles, n, results, byref(added)))
            for k in range(n):
                r = results[k]
                if r.status == N.OK:
                    out.append(_add_result(r))
                else:
                    raw = r.error.decode("utf-8", "replace") if r.error else _lib.retold_error_name(r.status).decode()
                    out.append(AddResult(0, False, 0, None, error_for(r.status, raw)))
        finally:
            self._leave()
        del items
        return out

    # -- queries

    def _query_options(self, top_k, include_rejected, timestamp, min_score):
        q = N.QueryOptions()  # struct_size set; every other field is set below (no init call per query)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 0 <= top_k < 1 << 32:
            raise InvalidArgumentError(f"top_k must be a non-negative integer, not {top_k!r}")
        q.top_k = top_k
        q.include_rejected = 1 if include_rejected else 0
        if timestamp is not None:
            q.has_timestamp = 1
            q.timestamp = _timestamp(timestamp)
        q.min_score = 0.0 if min_score is None else float(min_score)
        return q

    def query(self, text: Union[str, bytes], *, top_k: int = 10, include_rejected: bool = False,
              timestamp: Timestamp = None, min_score: Optional[float] = None) -> List[Match]:
        """Stored reports most similar to `text`, best first (nothing is stored). With
        `timestamp`, the configured time window applies around it; with `min_score`, only
        matches scoring at least that (with include_rejected=True: your own threshold)."""
        t = _text(text, "text")
        q = self._query_options(top_k, include_rejected, timestamp, min_score)
        return self._match_call(_lib.retold_dedup_query, t, len(t), byref(q))

    def query_vector(self, vector, *, top_k: int = 10, include_rejected: bool = False,
                     timestamp: Timestamp = None, min_score: Optional[float] = None) -> List[Match]:
        """As query(), by an embedding (cosine only). IncompatibleError for a wrong dimension or
        when embeddings are disabled."""
        ptr, n, keep = _floats(vector)
        q = self._query_options(top_k, include_rejected, timestamp, min_score)
        try:
            return self._match_call(_lib.retold_dedup_query_vector, ptr, n, byref(q))
        finally:
            del keep  # the vector's buffer lives until the call has returned

    # -- lookups

    def contains(self, id: str) -> bool:
        out = c_int32()
        b = _cstr(id, "id")
        self._call(_lib.retold_dedup_contains, b, byref(out))
        return bool(out.value)

    __contains__ = contains

    def __len__(self) -> int:
        return self.stats().documents

    def cluster_of(self, id: str) -> int:
        """The story id of a stored report; NotFoundError otherwise."""
        out = c_uint64()
        b = _cstr(id, "id")
        self._call(_lib.retold_dedup_cluster_of, b, byref(out))
        return out.value

    def representative_of(self, id: str) -> str:
        """The representative report of the story of `id`; NotFoundError for an unknown id."""
        b = _cstr(id, "id")
        needed = c_uint64()
        buf = create_string_buffer(128)
        h = self._enter()
        try:
            rc = _lib.retold_dedup_representative_of(h, b, buf, len(buf), byref(needed))
            if rc == N.EBUFSIZE:
                buf = create_string_buffer(needed.value + 1)
                rc = _lib.retold_dedup_representative_of(h, b, buf, len(buf), byref(needed))
        finally:
            self._leave()
        if rc:
            raise error_for(rc)
        return buf.raw[:needed.value].decode()

    def cluster(self, cluster_id: int) -> Cluster:
        """One story; NotFoundError for an unknown id."""
        cl = N.ClusterList()
        h = self._enter()
        try:
            rc = _lib.retold_dedup_cluster(h, cluster_id, byref(cl))
            try:
                if rc:
                    raise error_for(rc)
                return _clusters(cl)[0]
            finally:
                _lib.retold_cluster_list_dispose(byref(cl))
        finally:
            self._leave()

    def clusters(self, min_members: int = 1) -> List[Cluster]:
        """All stories with at least `min_members` members, by increasing id."""
        cl = N.ClusterList()
        h = self._enter()
        try:
            rc = _lib.retold_dedup_clusters(h, min_members, byref(cl))
            try:
                if rc:
                    raise error_for(rc)
                return _clusters(cl)
            finally:
                _lib.retold_cluster_list_dispose(byref(cl))
        finally:
            self._leave()

    def explain(self, id_a: str, id_b: str) -> Explanation:
        """Why two stored reports match or not (shared terms need keep_text=True)."""
        a, b = _cstr(id_a, "id_a"), _cstr(id_b, "id_b")
        e = N.Explanation()
        h = self._enter()
        try:
            rc = _lib.retold_dedup_explain(h, a, b, byref(e))
            try:
                if rc:
                    raise error_for(rc)
                terms = tuple(e.shared_terms[i].decode() for i in range(e.shared_term_count))
                features = tuple(Feature(f.name.decode(), f.value, f.contribution)
                                 for f in (e.features[i] for i in range(e.feature_count)))
                return Explanation(_scores(e.scores), terms, e.shared_passage.decode(), features, e.probability)
            finally:
                _lib.retold_explanation_dispose(byref(e))
        finally:
            self._leave()

    def stats(self) -> Stats:
        s = N.Stats()
        h = self._enter()
        try:
            rc = _lib.retold_dedup_stats(h, byref(s))
        finally:
            self._leave()
        check(rc)
        return Stats(s.documents, s.clusters, s.multi_member_clusters, s.documents_added_total,
                     s.documents_removed_total, s.memory_bytes, s.frequency_documents,
                     {"features": s.add_features_seconds, "embed": s.add_embed_seconds,
                      "candidates": s.add_candidates_seconds, "verify_cluster": s.add_verify_cluster_seconds,
                      "index_add": s.add_index_add_seconds})

    @property
    def options(self) -> dict:
        """Every option in force (the keywords Deduplicator() takes), lsh_bands/lsh_rows as chosen."""
        o = N.DedupOptions()
        check(_lib.retold_dedup_options_init(byref(o), o.struct_size))
        h = self._enter()
        try:
            check(_lib.retold_dedup_get_options(h, byref(o)))
            return _options.to_dict(o)  # source_priority points into the handle: read it now
        finally:
            self._leave()

    # -- mutation

    def remove(self, id: str) -> None:
        """Removes a stored report; NotFoundError when the id is unknown."""
        b = _cstr(id, "id")
        h = self._enter()
        try:
            rc = _lib.retold_dedup_remove(h, b)
        finally:
            self._leave()
        check(rc)

    def evict_before(self, cutoff: Timestamp) -> int:
        """Removes every report older than `cutoff`; returns how many."""
        n = c_uint64()
        ts = _timestamp(cutoff)
        h = self._enter()
        try:
            rc = _lib.retold_dedup_evict_before(h, ts, byref(n))
        finally:
            self._leave()
        check(rc)
        return n.value

    # -- persistence

    def save(self, path, replace: bool = False) -> None:
        """Writes the whole state into directory `path` atomically (RetoldIOError on failure).
        ConflictError, with nothing written, when `path` holds a state other than the one this
        Deduplicator loaded from it or last saved there (another writer saved in between, or a
        state it never loaded); replace=True overwrites whatever is there."""
        p = _cstr(path, "path")
        h = self._enter()
        try:
            rc = (_lib.retold_dedup_save_replace if replace else _lib.retold_dedup_save)(h, p)
        finally:
            self._leave()
        check(rc)

    # -- features alone

    def compute_embedding(self, text: Union[str, bytes]):
        """The embedding this deduplicator gives `text`: a numpy float32 array when numpy is
        installed, else array.array('f'); empty with embedding "none" or "external"."""
        t = _text(text, "text")
        if self._dim is None:  # fixed for the handle's life: ask once
            o = self.options
            self._dim = o["dimension"] if o["embedding"] == "builtin" else 0
        n = self._dim
        if _np is not None:
            out = _np.empty(n, dtype=_np.float32)
            ptr = out.ctypes.data_as(_FloatP)
        else:
            out = array.array("f", bytes(4 * n))
            ptr = cast((c_float * n).from_buffer(out), _FloatP) if n else None
        dim = c_uint64()
        self._call(_lib.retold_dedup_compute_embedding, t, len(t), ptr, n, byref(dim))
        if dim.value != n:  # cannot happen: the dimension is structural
            raise RetoldError(f"embedding dimension {dim.value}, expected {n}")
        return out

    def compute_signature(self, text: Union[str, bytes]) -> "Signature":
        """The MinHash signature this deduplicator gives `text` (nothing stored)."""
        t = _text(text, "text")
        sig = N.SignatureP()
        h = self._enter()
        try:
            rc = _lib.retold_dedup_compute_signature(h, t, len(t), byref(sig))
        finally:
            self._leave()
        check(rc)
        return Signature._wrap(sig)


class Signature:
    """An immutable MinHash signature with the configuration that made it. Thread-safe."""

    __slots__ = ("_handle",)

    def __init__(self):
        raise TypeError("use Deduplicator.compute_signature() or Signature.from_bytes()")

    @classmethod
    def _wrap(cls, handle) -> "Signature":
        self = object.__new__(cls)
        self._handle = handle
        return self

    @classmethod
    def from_bytes(cls, data: bytes) -> "Signature":
        """Parses to_bytes() output. CorruptedStateError for damaged bytes, IncompatibleError
        for an unknown format version."""
        data = bytes(data)
        buf = (c_uint8 * len(data)).from_buffer_copy(data)
        sig = N.SignatureP()
        check(_lib.retold_signature_deserialize(byref(sig), buf, len(data)))
        return cls._wrap(sig)

    def _h(self):
        if self._handle is None:
            raise ClosedError("the Signature is closed")
        return self._handle

    def values(self) -> List[int]:
        """The num_hashes MinHash values."""
        h = self._h()
        n = c_uint64()
        rc = _lib.retold_signature_values(h, None, 0, byref(n))
        if rc not in (N.OK, N.EBUFSIZE):
            raise error_for(rc)
        buf = (c_uint32 * n.value)()
        check(_lib.retold_signature_values(h, buf, n.value, byref(n)))
        return list(buf)

    def to_bytes(self) -> bytes:
        """The portable serialized form (little-endian, with magic, version, scheme and seed)."""
        h = self._h()
        n = c_uint64()
        rc = _lib.retold_signature_serialize(h, None, 0, byref(n))
        if rc not in (N.OK, N.EBUFSIZE):
            raise error_for(rc)
        buf = (c_uint8 * n.value)()
        check(_lib.retold_signature_serialize(h, buf, n.value, byref(n)))
        return bytes(buf)

    def jaccard(self, other: "Signature") -> float:
        """Estimated Jaccard similarity; IncompatibleError across configurations."""
        if not isinstance(other, Signature):
            raise TypeError("jaccard() needs another Signature")
        out = c_double()
        check(_lib.retold_signature_jaccard(self._h(), other._h(), byref(out)))
        return out.value

    def __len__(self) -> int:
        n = c_uint64()
        rc = _lib.retold_signature_values(self._h(), None, 0, byref(n))
        if rc not in (N.OK, N.EBUFSIZE):
            raise error_for(rc)
        return n.value

    def __eq__(self, other) -> bool:
        return isinstance(other, Signature) and self.to_bytes() == other.to_bytes()

    __hash__ = None

    def close(self) -> None:
        h, self._handle = self._handle, None
        if h is not None:
            _lib.retold_signature_free(h)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Prepared:
    """The features of one report as a Deduplicator's configuration computes them, without its
    text (Deduplicator.prepare()). Immutable and thread-safe; moved between processes as bytes
    (to_bytes() / from_bytes(), which are also what pickling uses)."""

    __slots__ = ("_handle",)

    def __init__(self):
        raise TypeError("use Deduplicator.prepare() or Prepared.from_bytes()")

    @classmethod
    def _wrap(cls, handle) -> "Prepared":
        self = object.__new__(cls)
        self._handle = handle
        return self

    @classmethod
    def from_bytes(cls, data) -> "Prepared":
        """Parses to_bytes() output. CorruptedStateError naming what was wrong for truncated or
        damaged bytes, IncompatibleError for another format version."""
        data = bytes(data)
        out = N.PreparedP()
        check(_lib.retold_prepared_deserialize(byref(out), cast(c_char_p(data), POINTER(c_uint8)), len(data)))
        return cls._wrap(out)

    def _h(self):
        if self._handle is None:
            raise ClosedError("the Prepared document is closed")
        return self._handle

    def to_bytes(self) -> bytes:
        """The portable form: magic, format version, configuration fingerprint, the features
        (little-endian) and a checksum."""
        h = self._h()
        n = c_uint64()
        buf = (c_uint8 * 4096)()
        rc = _lib.retold_prepared_serialize(h, buf, 4096, byref(n))
        if rc == N.EBUFSIZE:
            buf = (c_uint8 * n.value)()
            rc = _lib.retold_prepared_serialize(h, buf, n.value, byref(n))
        check(rc)
        return ctypes.string_at(buf, n.value)

    def band_keys(self) -> List[int]:
        """The LSH band keys of the signature: element i is band i's 32-bit key, as the
        deduplicator's LSH index buckets it. Empty for a report without shingles."""
        h = self._h()
        n = c_uint64()
        buf = (c_uint32 * 256)()
        rc = _lib.retold_prepared_band_keys(h, buf, 256, byref(n))
        if rc == N.EBUFSIZE:
            buf = (c_uint32 * n.value)()
            rc = _lib.retold_prepared_band_keys(h, buf, n.value, byref(n))
        check(rc)
        return buf[:n.value]

    def __reduce__(self):
        return (Prepared.from_bytes, (self.to_bytes(),))

    def close(self) -> None:
        h, self._handle = self._handle, None
        if h is not None:
            _lib.retold_prepared_free(h)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
