"""Keyword options <-> retold_dedup_options: one table names every option of
retold::deduplicator_options (include/retold/dedup.hpp), its C field, how its value is checked,
and, for runtime options, the RETOLD_OPTION_* bit that lets a load change it. Internal."""
from __future__ import annotations

import datetime as _dt
import struct as _struct
from ctypes import byref, c_char_p
from typing import Any, Dict, Mapping, Optional, Tuple

from . import _native as N
from ._errors import IncompatibleError, InvalidArgumentError, check

_lib = N.lib

_EMBEDDING = {"builtin": N.EMBEDDING_BUILTIN, "external": N.EMBEDDING_EXTERNAL, "none": N.EMBEDDING_NONE}
_SHINGLE = {"word": N.SHINGLE_WORD, "character": N.SHINGLE_CHARACTER}
_SCHEME = {"one_permutation": N.MINHASH_ONE_PERMUTATION, "multiply_shift": N.MINHASH_MULTIPLY_SHIFT}
_VINDEX = {"automatic": N.VECTOR_INDEX_AUTOMATIC, "flat": N.VECTOR_INDEX_FLAT, "ivf": N.VECTOR_INDEX_IVF}
_DECISION = {"automatic": N.MATCH_AUTOMATIC, "model": N.MATCH_MODEL, "rule": N.MATCH_RULE}
PRESETS = ("copies", "retellings", "stories")

# keyword: (C field, kind, load bit or None for structural). Kinds: "u32"/"u64" (integers >= 0),
# "bool", "float" (finite), a dict (names to enum values), "seconds" (int >= 0 or timedelta),
# "sources" (a sequence of outlet names), "dimension" (embedder or external, by embedding mode).
OPTIONS: Dict[str, Tuple[str, Any, Optional[int]]] = {
    # normalization
    "casefold": ("casefold", "bool", None),
    "fold_punctuation": ("fold_punctuation", "bool", None),
    "strip_boilerplate": ("strip_boilerplate", "bool", None),
    "replace_invalid_utf8": ("replace_invalid_utf8", "bool", None),
    "keep_text": ("keep_text", "bool", None),
    # shingles, MinHash, LSH
    "shingle": ("shingle_kind", _SHINGLE, None),
    "shingle_size": ("shingle_size", "u32", None),
    "num_hashes": ("num_hashes", "u32", None),
    "minhash_scheme": ("minhash_scheme", _SCHEME, None),
    "minhash_seed": ("minhash_seed", "u64", None),
    "lsh_bands": ("lsh_bands", "u32", None),
    "lsh_rows": ("lsh_rows", "u32", None),
    "lsh_threshold": ("lsh_threshold", "float", None),
    # embeddings
    "embedding": ("embedding_mode", _EMBEDDING, None),
    "dimension": ("", "dimension", None),
    "word_ngram_max": ("embedder_word_ngram_max", "u32", None),
    "char_ngram_min": ("embedder_char_ngram_min", "u32", None),
    "char_ngram_max": ("embedder_char_ngram_max", "u32", None),
    "sublinear_tf": ("embedder_sublinear_tf", "bool", None),
    "df_buckets_log2": ("embedder_df_buckets_log2", "u32", None),
    "word_weight": ("embedder_word_weight", "float", None),
    "number_weight": ("embedder_number_weight", "float", None),
    "char_weight": ("embedder_char_weight", "float", None),
    "word_ngram_weight": ("embedder_word_ngram_weight", "float", None),
    "embedder_seed": ("embedder_seed", "u64", None),
    # vector index
    "vector_index": ("vector_index_kind", _VINDEX, None),
    "nlist": ("vector_index_nlist", "u32", None),
    "nprobe": ("vector_index_nprobe", "u32", None),
    "scalar_quantization": ("vector_index_scalar_quantization", "bool", None),
    "ivf_min_size": ("vector_index_ivf_min_size", "u64", None),
    "vector_index_seed": ("vector_index_seed", "u64", None),
    # evidence sketch
    "sketch_words": ("sketch_words", "u32", None),
    "sketch_bigrams": ("sketch_bigrams", "u32", None),
    "sketch_numbers": ("sketch_numbers", "u32", None),
    "sketch_names": ("sketch_names", "u32", None),
    "sketch_title_words": ("sketch_title_words", "u32", None),
    "sketch_trigrams": ("sketch_trigrams", "u32", None),
    "sketch_seed": ("sketch_seed", "u64", None),
    # runtime: may change when a state is loaded
    "vector_candidates": ("vector_candidates", "u64", N.OPTION_VECTOR_CANDIDATES),
    "decision": ("decision", _DECISION, N.OPTION_DECISION),
    "threads": ("threads", "u32", N.OPTION_THREADS),
    "match_threshold": ("match_threshold", "float", N.OPTION_MATCH_THRESHOLD),
    "jaccard_threshold": ("jaccard_threshold", "float", N.OPTION_JACCARD_THRESHOLD),
    "cosine_threshold": ("cosine_threshold", "float", N.OPTION_COSINE_THRESHOLD),
    "combined_weight_jaccard": ("combined_weight_jaccard", "float", N.OPTION_COMBINED_WEIGHT_JACCARD),
    "combined_threshold": ("combined_threshold", "float", N.OPTION_COMBINED_THRESHOLD),
    "copy_jaccard": ("copy_jaccard", "float", N.OPTION_COPY_JACCARD),
    "time_window": ("time_window_seconds", "seconds", N.OPTION_TIME_WINDOW_SECONDS),
    "max_document_bytes": ("max_document_bytes", "u64", N.OPTION_MAX_DOCUMENT_BYTES),
    "source_priority": ("source_priority", "sources", N.OPTION_SOURCE_PRIORITY),
    "retention": ("retention_seconds", "seconds", N.OPTION_RETENTION_SECONDS),
    "snippet_bytes": ("snippet_bytes", "u32", N.OPTION_SNIPPET_BYTES),
}
RUNTIME = tuple(k for k, (_, _, bit) in OPTIONS.items() if bit is not None)


def _names(table) -> str:
    return ", ".join(repr(k) for k in table)


def _set(o: N.DedupOptions, name: str, value, keep: list) -> None:
    """Checks one keyword option and stores it in `o`; `keep` holds what o's pointers borrow."""
    field, kind, _ = OPTIONS[name]
    if isinstance(kind, dict):
        if not isinstance(value, str) or value not in kind:
            raise InvalidArgumentError(f"{name} must be one of {_names(kind)}, not {value!r}")
        setattr(o, field, kind[value])
    elif kind in ("u32", "u64"):
        bits = 32 if kind == "u32" else 64
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
            raise InvalidArgumentError(f"{name} must be an integer in [0, 2**{bits}), not {value!r}")
        setattr(o, field, value)
    elif kind == "bool":
        if not isinstance(value, bool):
            raise InvalidArgumentError(f"{name} must be True or False, not {value!r}")
        setattr(o, field, 1 if value else 0)
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidArgumentError(f"{name} must be a number, not {value!r}")
        setattr(o, field, float(value))
    elif kind == "seconds":
        if isinstance(value, _dt.timedelta):
            value = int(value.total_seconds())
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value >= 1 << 63:
            raise InvalidArgumentError(f"{name} must be seconds >= 0 or a timedelta, not {value!r}")
        setattr(o, field, value)
    elif kind == "sources":
        from ._dedup import _cstr  # the one string conversion of the package
        if isinstance(value, (str, bytes)):
            raise InvalidArgumentError("source_priority must be a sequence of outlet names, not one string")
        names = [_cstr(s, "source_priority entry") for s in value]
        arr = (c_char_p * len(names))(*names) if names else None
        keep.append(arr)
        o.source_priority = arr
        o.source_priority_count = len(names)
    elif kind == "dimension":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 1 << 32:
            raise InvalidArgumentError(f"dimension must be a positive integer, not {value!r}")
        if o.embedding_mode == N.EMBEDDING_NONE:
            raise InvalidArgumentError("dimension does not apply with embedding 'none'")
        if o.embedding_mode == N.EMBEDDING_EXTERNAL:
            o.external_dimension = value
        else:
            o.embedder_dimension = value
    else:  # pragma: no cover - the table above is the only source of kinds
        raise AssertionError(kind)


def build(options: Mapping[str, Any]) -> Tuple[N.DedupOptions, int, list]:
    """(C options, override bits of the runtime options given, objects to keep alive) from
    keyword options. Starts from the library's defaults; `preset` (applied first) sets the match
    options, explicit keywords then win. None means "the default" for every option."""
    o = N.DedupOptions()
    check(_lib.retold_dedup_options_init(byref(o), o.struct_size))
    keep: list = []
    bits = 0
    opts = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(k for k in opts if k not in OPTIONS and k != "preset")
    if unknown:  # as Python does for an unknown keyword argument
        raise TypeError(f"unknown option {unknown[0]!r} (options: {', '.join(OPTIONS)}, preset)")
    preset = opts.pop("preset", None)
    if preset is not None:
        if not isinstance(preset, str):
            raise InvalidArgumentError(f"preset must be one of {_names(PRESETS)}, not {preset!r}")
        check(_lib.retold_dedup_options_apply_preset(byref(o), preset.encode()))
        bits |= N.OPTION_MATCH
    # the embedding mode first: it decides what `dimension` means
    for name in sorted(opts, key=lambda k: k != "embedding"):
        _set(o, name, opts[name], keep)
        bit = OPTIONS[name][2]
        if bit is not None:
            bits |= bit
    return o, bits, keep


def to_dict(o: N.DedupOptions) -> Dict[str, Any]:
    """Every keyword option with its value in `o` (what build() accepts back)."""
    out: Dict[str, Any] = {}
    for name, (field, kind, _) in OPTIONS.items():
        if isinstance(kind, dict):
            v = getattr(o, field)
            out[name] = next((k for k, x in kind.items() if x == v), v)
        elif kind == "bool":
            out[name] = bool(getattr(o, field))
        elif kind == "sources":
            out[name] = [o.source_priority[i].decode() for i in range(o.source_priority_count)]
        elif kind == "dimension":  # None with embedding "none": there is no dimension then
            out[name] = (o.external_dimension if o.embedding_mode == N.EMBEDDING_EXTERNAL
                         else None if o.embedding_mode == N.EMBEDDING_NONE else o.embedder_dimension)
        else:
            out[name] = getattr(o, field)
    return out


def check_structural(requested: Mapping[str, Any], loaded: Mapping[str, Any]) -> None:
    """A load may not change structural options: those given must equal the saved ones."""
    for name, value in requested.items():
        if value is None or name == "preset" or OPTIONS[name][2] is not None:
            continue
        have = loaded[name]
        want = value
        if OPTIONS[name][1] == "float":  # the embedder keeps its weights as float32
            want = float(want)
            if OPTIONS[name][0].startswith("embedder_"):
                want = _struct.unpack("f", _struct.pack("f", want))[0]
        if have != want:
            raise IncompatibleError(f"load: {name} is structural (fixed when the state was created): saved "
                                    f"{have!r}, asked for {value!r}")
