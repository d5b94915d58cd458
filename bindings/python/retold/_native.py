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
SONAME = "libretold_c.so.1"
#: RETOLD_C_ABI_VERSION of the header this binding mirrors (retold_abi_version() must agree).
ABI_VERSION = 1

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

# Enums (pinned values).
EMBEDDING_BUILTIN, EMBEDDING_EXTERNAL, EMBEDDING_NONE = 0, 1, 2
SHINGLE_WORD, SHINGLE_CHARACTER = 0, 1
MINHASH_ONE_PERMUTATION, MINHASH_MULTIPLY_SHIFT = 1, 2
VECTOR_INDEX_AUTOMATIC, VECTOR_INDEX_FLAT, VECTOR_INDEX_IVF = 0, 1, 2
MATCH_AUTOMATIC, MATCH_MODEL, MATCH_RULE = 0, 1, 2
DECISIONS = ("rejected", "jaccard", "cosine", "combined", "model")

# retold_dedup_load() override_fields bits (RETOLD_OPTION_*).
OPTION_VECTOR_CANDIDATES = 1 << 0
OPTION_DECISION = 1 << 1
OPTION_THREADS = 1 << 2
OPTION_MATCH_THRESHOLD = 1 << 3
OPTION_JACCARD_THRESHOLD = 1 << 4
OPTION_COSINE_THRESHOLD = 1 << 5
OPTION_COMBINED_WEIGHT_JACCARD = 1 << 6
OPTION_COMBINED_THRESHOLD = 1 << 7
OPTION_COPY_JACCARD = 1 << 8
OPTION_TIME_WINDOW_SECONDS = 1 << 9
OPTION_MAX_DOCUMENT_BYTES = 1 << 10
OPTION_SOURCE_PRIORITY = 1 << 11
OPTION_RETENTION_SECONDS = 1 << 12
OPTION_SNIPPET_BYTES = 1 << 13
OPTION_SCORING = (OPTION_JACCARD_THRESHOLD | OPTION_COSINE_THRESHOLD | OPTION_COMBINED_WEIGHT_JACCARD
                  | OPTION_COMBINED_THRESHOLD)
OPTION_MATCH = OPTION_DECISION | OPTION_MATCH_THRESHOLD | OPTION_SCORING | OPTION_COPY_JACCARD
OPTION_ALL_RUNTIME = 0x3FFF


class SizedStructure(Structure):
    """A retold.h struct that starts with uint32_t struct_size: new() sets it to this binding's
    sizeof, as the C *_INIT macros do (every other field is zero). `_size_` is filled in below,
    once the classes exist (a Python-level sizeof per call costs a microsecond)."""

    _size_ = 0

    def __init__(self):
        self.struct_size = self._size_


class DedupOptions(SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("casefold", c_uint32),
        ("fold_punctuation", c_uint32),
        ("strip_boilerplate", c_uint32),
        ("replace_invalid_utf8", c_uint32),
        ("keep_text", c_uint32),
        ("shingle_kind", c_uint32),
        ("shingle_size", c_uint32),
        ("num_hashes", c_uint32),
        ("minhash_scheme", c_uint32),
        ("minhash_seed", c_uint64),
        ("lsh_bands", c_uint32),
        ("lsh_rows", c_uint32),
        ("lsh_threshold", c_double),
        ("embedding_mode", c_uint32),
        ("external_dimension", c_uint32),
        ("embedder_dimension", c_uint32),
        ("embedder_word_ngram_max", c_uint32),
        ("embedder_char_ngram_min", c_uint32),
        ("embedder_char_ngram_max", c_uint32),
        ("embedder_sublinear_tf", c_uint32),
        ("embedder_df_buckets_log2", c_uint32),
        ("embedder_word_weight", c_double),
        ("embedder_number_weight", c_double),
        ("embedder_char_weight", c_double),
        ("embedder_word_ngram_weight", c_double),
        ("embedder_seed", c_uint64),
        ("vector_index_kind", c_uint32),
        ("vector_index_nlist", c_uint32),
        ("vector_index_nprobe", c_uint32),
        ("vector_index_scalar_quantization", c_uint32),
        ("vector_index_ivf_min_size", c_uint64),
        ("vector_index_seed", c_uint64),
        ("sketch_words", c_uint32),
        ("sketch_bigrams", c_uint32),
        ("sketch_numbers", c_uint32),
        ("sketch_names", c_uint32),
        ("sketch_title_words", c_uint32),
        ("sketch_trigrams", c_uint32),
        ("sketch_seed", c_uint64),
        ("vector_candidates", c_uint64),
        ("decision", c_uint32),
        ("threads", c_uint32),
        ("match_threshold", c_double),
        ("jaccard_threshold", c_double),
        ("cosine_threshold", c_double),
        ("combined_weight_jaccard", c_double),
        ("combined_threshold", c_double),
        ("copy_jaccard", c_double),
        ("time_window_seconds", c_int64),
        ("max_document_bytes", c_uint64),
        ("source_priority_count", c_uint64),
        ("source_priority", POINTER(c_char_p)),
        ("retention_seconds", c_int64),
        ("snippet_bytes", c_uint32),
    ]


class Document(SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
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
    """Frozen: no struct_size."""
    _fields_ = [
        ("jaccard", c_double),
        ("cosine", c_double),
        ("score", c_double),
        ("has_cosine", c_int32),
        ("decision", c_int32),
    ]


class AddResult(SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("status", c_int32),
        ("new_story", c_int32),
        ("has_leader", c_int32),
        ("cluster_id", c_uint64),
        ("candidates", c_uint64),
        ("leader_scores", Scores),
        ("leader_id", c_char_p),
        ("error", c_char_p),
    ]


class QueryOptions(SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("top_k", c_uint32),
        ("include_rejected", c_uint32),
        ("has_timestamp", c_uint32),
        ("timestamp", c_int64),
        ("min_score", c_double),
    ]


class Match(SizedStructure):
    _fields_ = [("struct_size", c_uint32), ("id", c_char_p), ("cluster_id", c_uint64), ("scores", Scores)]


class MatchList(SizedStructure):
    _fields_ = [("struct_size", c_uint32), ("item_size", c_uint32), ("items", POINTER(Match)),
                ("count", c_uint64), ("internal_", c_void_p)]

    def __init__(self):
        self.struct_size = self._size_
        self.item_size = Match._size_


class ClusterMember(SizedStructure):
    _fields_ = [("struct_size", c_uint32), ("id", c_char_p), ("source", c_char_p), ("timestamp", c_int64),
                ("scores", Scores), ("title", c_char_p), ("snippet", c_char_p)]


class Cluster(SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("id", c_uint64),
        ("representative", c_char_p),
        ("leader", c_char_p),
        ("members", POINTER(ClusterMember)),
        ("member_count", c_uint64),
    ]


class ClusterList(SizedStructure):
    _fields_ = [("struct_size", c_uint32), ("item_size", c_uint32), ("member_size", c_uint32),
                ("items", POINTER(Cluster)), ("count", c_uint64), ("internal_", c_void_p)]

    def __init__(self):
        self.struct_size = self._size_
        self.item_size = Cluster._size_
        self.member_size = ClusterMember._size_


class Feature(SizedStructure):
    _fields_ = [("struct_size", c_uint32), ("name", c_char_p), ("value", c_double), ("contribution", c_double)]


class Explanation(SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("feature_size", c_uint32),
        ("scores", Scores),
        ("probability", c_double),
        ("features", POINTER(Feature)),
        ("feature_count", c_uint64),
        ("shared_terms", POINTER(c_char_p)),
        ("shared_term_count", c_uint64),
        ("shared_passage", c_char_p),
        ("internal_", c_void_p),
    ]

    def __init__(self):
        self.struct_size = self._size_
        self.feature_size = Feature._size_


class Stats(SizedStructure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("documents", c_uint64),
        ("clusters", c_uint64),
        ("multi_member_clusters", c_uint64),
        ("documents_added_total", c_uint64),
        ("documents_removed_total", c_uint64),
        ("memory_bytes", c_uint64),
        ("frequency_documents", c_uint64),
        ("add_features_seconds", c_double),
        ("add_embed_seconds", c_double),
        ("add_candidates_seconds", c_double),
        ("add_verify_cluster_seconds", c_double),
        ("add_index_add_seconds", c_double),
    ]


for _cls in (DedupOptions, Document, AddResult, QueryOptions, Match, MatchList, ClusterMember, Cluster, ClusterList,
             Feature, Explanation, Stats):
    _cls._size_ = ctypes.sizeof(_cls)
del _cls


# Opaque handles: distinct pointer types, so ctypes refuses a signature where a dedup belongs.
class _DedupHandle(Structure):
    pass


class _SignatureHandle(Structure):
    pass


class _PreparedHandle(Structure):
    pass


DedupP = POINTER(_DedupHandle)
SignatureP = POINTER(_SignatureHandle)
PreparedP = POINTER(_PreparedHandle)

# name: (restype, argtypes)
_PROTOTYPES = {
    "retold_version": (c_uint32, []),
    "retold_version_string": (c_char_p, []),
    "retold_abi_version": (c_uint32, []),
    "retold_last_error": (c_char_p, []),
    "retold_last_error_code": (c_int, []),
    "retold_error_clear": (None, []),
    "retold_error_name": (c_char_p, [c_int]),
    "retold_dedup_options_init": (c_int, [POINTER(DedupOptions), c_uint32]),
    "retold_query_options_init": (c_int, [POINTER(QueryOptions), c_uint32]),
    "retold_dedup_options_apply_preset": (c_int, [POINTER(DedupOptions), c_char_p]),
    "retold_match_list_dispose": (None, [POINTER(MatchList)]),
    "retold_cluster_list_dispose": (None, [POINTER(ClusterList)]),
    "retold_explanation_dispose": (None, [POINTER(Explanation)]),
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
    "retold_dedup_load": (c_int, [POINTER(DedupP), c_char_p, POINTER(DedupOptions), c_uint64]),
    "retold_dedup_compute_embedding": (c_int, [DedupP, c_char_p, c_uint64, POINTER(c_float), c_uint64,
                                               POINTER(c_uint64)]),
    "retold_dedup_compute_signature": (c_int, [DedupP, c_char_p, c_uint64, POINTER(SignatureP)]),
    "retold_signature_free": (None, [SignatureP]),
    "retold_signature_values": (c_int, [SignatureP, POINTER(c_uint32), c_uint64, POINTER(c_uint64)]),
    "retold_signature_serialize": (c_int, [SignatureP, POINTER(c_uint8), c_uint64, POINTER(c_uint64)]),
    "retold_signature_deserialize": (c_int, [POINTER(SignatureP), POINTER(c_uint8), c_uint64]),
    "retold_signature_jaccard": (c_int, [SignatureP, SignatureP, POINTER(c_double)]),
    "retold_dedup_prepare": (c_int, [POINTER(PreparedP), DedupP, POINTER(Document)]),
    "retold_prepared_free": (None, [PreparedP]),
    "retold_prepared_serialize": (c_int, [PreparedP, POINTER(c_uint8), c_uint64, POINTER(c_uint64)]),
    "retold_prepared_deserialize": (c_int, [POINTER(PreparedP), POINTER(c_uint8), c_uint64]),
    "retold_prepared_band_keys": (c_int, [PreparedP, POINTER(c_uint32), c_uint64, POINTER(c_uint64)]),
    "retold_dedup_add_prepared_batch": (c_int, [DedupP, POINTER(PreparedP), c_uint64, POINTER(AddResult),
                                                POINTER(c_uint64)]),
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
        lib.retold_abi_version.restype = c_uint32
        lib.retold_abi_version.argtypes = []
        if lib.retold_abi_version() != ABI_VERSION:
            errors.append(f"{candidate}: C ABI {lib.retold_abi_version()}, this binding speaks {ABI_VERSION}")
            continue
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        lib._retold_path = candidate
        return lib
    raise ImportError(
        "retold: cannot load the C library libretold_c. Set RETOLD_LIBRARY to the path of "
        "libretold_c.so.1, install the package with the library bundled (see "
        "bindings/python/README.md), or install libretold_c on the system path. Tried:\n  "
        + "\n  ".join(errors))


lib = _load()
library_path = lib._retold_path
