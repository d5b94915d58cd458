"""ctypes declarations of the C ABI (include/retold/retold.h) and the shared library loader.

Every structure mirrors its C declaration field by field; every function gets argtypes and
restype, so a wrong argument raises ctypes.ArgumentError in Python instead of corrupting memory.
Internal: use the classes in retold._dedup.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (POINTER, Structure, c_char_p, c_double, c_float, c_int, c_int32, c_int64,
                    c_uint8, c_uint32, c_uint64, c_void_p)
from pathlib import Path

#: The shared library's file name with its SOVERSION: the binding speaks this ABI.
SONAME = "libretold_c.so.0"

# Struct versions this binding was written against (retold.h).
DEDUP_OPTIONS_VERSION = 1
DOCUMENT_VERSION = 1
QUERY_OPTIONS_VERSION = 1
DEFAULT_VALUE = -1.0

# Status codes (pinned).
OK = 0
EINVALID = -1
EUTF8 = -2
ENOTFOUND = -3
EINCOMPATIBLE = -4
EIO = -5
ECORRUPTED = -6
ENOMEM = -7
ETOOLARGE = -8
EDUPLICATE = -9
EPARSE = -10
ECONFLICT = -11
EBUFSIZE = -30
EINTERNAL = -99

# Enums and flags.
EMBEDDING_BUILTIN, EMBEDDING_EXTERNAL, EMBEDDING_NONE = 0, 1, 2
SHINGLE_WORD, SHINGLE_CHARACTER = 0, 1
MINHASH_DEFAULT, MINHASH_ONE_PERMUTATION, MINHASH_MULTIPLY_SHIFT = 0, 1, 2
VECTOR_INDEX_AUTOMATIC, VECTOR_INDEX_FLAT, VECTOR_INDEX_IVF = 0, 1, 2
FLAG_KEEP_TEXT = 1 << 0
FLAG_KEEP_BOILERPLATE = 1 << 1
FLAG_KEEP_CASE = 1 << 2
FLAG_REPLACE_INVALID_UTF8 = 1 << 3
FLAG_SCALAR_QUANTIZATION = 1 << 4
DECISIONS = ("rejected", "jaccard", "cosine", "combined", "model")


class DedupOptions(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("flags", c_uint32),
        ("shingle_kind", c_uint32),
        ("shingle_size", c_uint32),
        ("num_hashes", c_uint32),
        ("minhash_scheme", c_uint32),
        ("minhash_seed", c_uint64),
        ("lsh_bands", c_uint32),
        ("lsh_rows", c_uint32),
        ("lsh_threshold", c_double),
        ("embedding_mode", c_uint32),
        ("embedding_dimension", c_uint32),
        ("vector_candidates", c_uint64),
        ("vector_index_ivf_min_size", c_uint64),
        ("vector_index_kind", c_uint32),
        ("vector_index_nlist", c_uint32),
        ("vector_index_nprobe", c_uint32),
        ("jaccard_threshold", c_double),
        ("cosine_threshold", c_double),
        ("combined_weight_jaccard", c_double),
        ("combined_threshold", c_double),
        ("copy_jaccard", c_double),
        ("time_window_seconds", c_int64),
        ("max_document_bytes", c_uint64),
        ("threads", c_uint32),
        ("source_priority_count", c_uint32),
        ("source_priority", POINTER(c_char_p)),
    ]


class Document(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("vector_dim", c_uint32),
        ("id", c_char_p),
        ("text", c_char_p),
        ("text_len", c_uint64),
        ("title", c_char_p),
        ("title_len", c_uint64),
        ("source", c_char_p),
        ("timestamp", c_int64),
        ("vector", POINTER(c_float)),
    ]


class Scores(Structure):
    _fields_ = [
        ("jaccard", c_double),
        ("cosine", c_double),
        ("score", c_double),
        ("has_cosine", c_int32),
        ("decision", c_int32),
    ]


class AddResult(Structure):
    _fields_ = [
        ("status", c_int32),
        ("new_story", c_int32),
        ("cluster_id", c_uint64),
        ("candidates", c_uint64),
        ("has_leader", c_int32),
        ("reserved", c_int32),
        ("leader_scores", Scores),
        ("error", c_char_p),
    ]


class QueryOptions(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("top_k", c_uint32),
        ("include_rejected", c_uint32),
        ("has_timestamp", c_uint32),
        ("timestamp", c_int64),
        ("min_score", c_double),
    ]


class Match(Structure):
    _fields_ = [("id", c_char_p), ("cluster_id", c_uint64), ("scores", Scores)]


class MatchList(Structure):
    _fields_ = [("items", POINTER(Match)), ("count", c_uint64), ("internal_", c_void_p)]


class ClusterMember(Structure):
    _fields_ = [("id", c_char_p), ("source", c_char_p), ("timestamp", c_int64), ("scores", Scores)]


class Cluster(Structure):
    _fields_ = [
        ("id", c_uint64),
        ("representative", c_char_p),
        ("leader", c_char_p),
        ("members", POINTER(ClusterMember)),
        ("member_count", c_uint64),
    ]


class ClusterList(Structure):
    _fields_ = [("items", POINTER(Cluster)), ("count", c_uint64), ("internal_", c_void_p)]


class Explanation(Structure):
    _fields_ = [
        ("scores", Scores),
        ("shared_terms", POINTER(c_char_p)),
        ("shared_term_count", c_uint64),
        ("shared_passage", c_char_p),
        ("internal_", c_void_p),
    ]


class Feature(Structure):
    _fields_ = [("name", c_char_p), ("value", c_double), ("contribution", c_double)]


class Stats(Structure):
    _fields_ = [
        ("documents", c_uint64),
        ("clusters", c_uint64),
        ("multi_member_clusters", c_uint64),
        ("documents_added_total", c_uint64),
        ("documents_removed_total", c_uint64),
        ("memory_bytes", c_uint64),
    ]


# Opaque handles: distinct pointer types, so ctypes refuses a signature where a dedup belongs.
class _DedupHandle(Structure):
    pass


class _SignatureHandle(Structure):
    pass


DedupP = POINTER(_DedupHandle)
SignatureP = POINTER(_SignatureHandle)

# name: (restype, argtypes)
_PROTOTYPES = {
    "retold_version": (c_uint32, []),
    "retold_version_string": (c_char_p, []),
    "retold_last_error": (c_char_p, []),
    "retold_last_error_code": (c_int, []),
    "retold_error_clear": (None, []),
    "retold_error_name": (c_char_p, [c_int]),
    "retold_dedup_options_init": (c_int, [POINTER(DedupOptions), c_uint32]),
    "retold_query_options_init": (c_int, [POINTER(QueryOptions), c_uint32]),
    "retold_match_list_dispose": (None, [POINTER(MatchList)]),
    "retold_cluster_list_dispose": (None, [POINTER(ClusterList)]),
    "retold_explanation_dispose": (None, [POINTER(Explanation)]),
    "retold_explanation_features": (c_int, [POINTER(Explanation), POINTER(Feature), c_uint64, POINTER(c_uint64),
                                            POINTER(c_double)]),
    "retold_dedup_new": (c_int, [POINTER(DedupP), POINTER(DedupOptions)]),
    "retold_dedup_free": (None, [DedupP]),
    "retold_dedup_add": (c_int, [DedupP, POINTER(Document), POINTER(AddResult)]),
    "retold_dedup_add_batch": (c_int, [DedupP, POINTER(Document), c_uint64, POINTER(AddResult),
                                       POINTER(c_uint64)]),
    "retold_dedup_query": (c_int, [DedupP, c_char_p, c_uint64, POINTER(QueryOptions),
                                   POINTER(MatchList)]),
    "retold_dedup_query_vector": (c_int, [DedupP, POINTER(c_float), c_uint32, POINTER(QueryOptions),
                                          POINTER(MatchList)]),
    "retold_dedup_remove": (c_int, [DedupP, c_char_p]),
    "retold_dedup_evict_before": (c_int, [DedupP, c_int64, POINTER(c_uint64)]),
    "retold_dedup_contains": (c_int, [DedupP, c_char_p, POINTER(c_int32)]),
    "retold_dedup_cluster_of": (c_int, [DedupP, c_char_p, POINTER(c_uint64)]),
    "retold_dedup_representative_of": (c_int, [DedupP, c_char_p, POINTER(ctypes.c_char), c_uint64,
                                               POINTER(c_uint64)]),
    "retold_dedup_cluster": (c_int, [DedupP, c_uint64, POINTER(ClusterList)]),
    "retold_dedup_clusters": (c_int, [DedupP, c_uint64, POINTER(ClusterList)]),
    "retold_dedup_explain": (c_int, [DedupP, c_char_p, c_char_p, POINTER(Explanation)]),
    "retold_dedup_stats": (c_int, [DedupP, POINTER(Stats)]),
    "retold_dedup_get_options": (c_int, [DedupP, POINTER(DedupOptions)]),
    "retold_dedup_save": (c_int, [DedupP, c_char_p]),
    "retold_dedup_save_replace": (c_int, [DedupP, c_char_p]),
    "retold_dedup_load": (c_int, [POINTER(DedupP), c_char_p, POINTER(DedupOptions)]),
    "retold_dedup_compute_embedding": (c_int, [DedupP, c_char_p, c_uint64, POINTER(c_float), c_uint64,
                                               POINTER(c_uint64)]),
    "retold_dedup_compute_signature": (c_int, [DedupP, c_char_p, c_uint64, POINTER(SignatureP)]),
    "retold_signature_free": (None, [SignatureP]),
    "retold_signature_values": (c_int, [SignatureP, POINTER(c_uint32), c_uint64, POINTER(c_uint64)]),
    "retold_signature_serialize": (c_int, [SignatureP, POINTER(c_uint8), c_uint64, POINTER(c_uint64)]),
    "retold_signature_deserialize": (c_int, [POINTER(SignatureP), POINTER(c_uint8), c_uint64]),
    "retold_signature_jaccard": (c_int, [SignatureP, SignatureP, POINTER(c_double)]),
}


def _candidates():
    """Where the library is looked for, in order: $RETOLD_LIBRARY (only it, when set), next to
    this package, then the system's search path (ld.so.cache, LD_LIBRARY_PATH)."""
    override = os.environ.get("RETOLD_LIBRARY")
    if override:
        return [override]
    here = Path(__file__).resolve().parent
    found = [str(p) for p in sorted(here.glob("libretold_c.so*"), key=lambda p: len(p.name))]
    found.append(SONAME)
    system = ctypes.util.find_library("retold_c")
    if system and system not in found:
        found.append(system)
    return found


def _load():
    errors = []
    for candidate in _candidates():
        try:
            lib = ctypes.CDLL(candidate)
        except OSError as e:
            errors.append(f"{candidate}: {e}")
            continue
        missing = [name for name in _PROTOTYPES if not hasattr(lib, name)]
        if missing:
            errors.append(f"{candidate}: not the retold C ABI this binding expects "
                          f"(missing {', '.join(missing[:3])}...)")
            continue
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        lib._retold_path = candidate
        return lib
    raise ImportError(
        "retold: cannot load the C library libretold_c. Set RETOLD_LIBRARY to the path of "
        "libretold_c.so.0, install the package with the library bundled (see "
        "bindings/python/README.md), or install libretold_c on the system path. Tried:\n  "
        + "\n  ".join(errors))


lib = _load()
library_path = lib._retold_path
