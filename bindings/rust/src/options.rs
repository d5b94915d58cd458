//! Configuration of a deduplicator: [`Options`] has one field per field of the C ABI's
//! `retold_dedup_options` (same names; `include/retold/dedup.hpp` documents each and its range),
//! each an `Option`: `None` means the library's default when creating, and the saved value when
//! loading a state.

use std::ffi::CString;
use std::os::raw::c_char;
use std::ptr;

use retold_sys as sys;

use crate::error::{check, Error, ErrorCode, Result};
use crate::strings::{borrowed_str, c_string};

/// Where document embeddings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmbeddingMode {
    /// The built-in TF-IDF embedder (the default; no model download).
    Builtin,
    /// The caller passes a vector of `external_dimension` floats with every document.
    External,
    /// Lexical (MinHash) matching only.
    Disabled,
}

/// Shingle unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShingleKind {
    Word,
    Character,
}

/// MinHash hash family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MinhashScheme {
    /// One-permutation hashing, densified (the default).
    OnePermutation,
    /// `num_hashes` independent multiply-shift hashes.
    MultiplyShift,
}

/// Structure of the vector index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VectorIndexKind {
    /// Exact (flat) until `vector_index_ivf_min_size` vectors, then IVF (the default).
    Automatic,
    /// Exact inner product over every vector.
    Flat,
    /// Inverted file: approximate, for millions of vectors.
    Ivf,
}

/// How a candidate pair is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchDecision {
    /// The learned model with the built-in embedder, else the threshold rule (the default).
    Automatic,
    /// The learned match model; score = P(same story), accepted at `match_threshold`.
    Model,
    /// The threshold rule (`jaccard_threshold`, `cosine_threshold`, `combined_*`).
    Rule,
}

/// A named set of the match options (`decision`, `match_threshold`, the rule's thresholds,
/// `copy_jaccard`), as `retold_dedup_options_apply_preset` defines it; fields set explicitly in
/// the same [`Options`] win over the preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// The same article, edited.
    Copies,
    /// Retellings: the defaults.
    Retellings,
    /// Also follow-ups of the same event.
    Stories,
}

impl Preset {
    /// The library's name of the preset.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Copies => "copies",
            Preset::Retellings => "retellings",
            Preset::Stories => "stories",
        }
    }
}

/// How an option's Rust value maps to its C field.
trait RawField: Sized {
    type Raw: Copy + PartialEq + std::fmt::Debug;
    fn to_raw(&self) -> Self::Raw;
    fn from_raw(raw: Self::Raw) -> Self;
}

macro_rules! same_type {
    ($($t:ty),*) => {$(
        impl RawField for $t {
            type Raw = $t;
            fn to_raw(&self) -> $t { *self }
            fn from_raw(raw: $t) -> $t { raw }
        }
    )*};
}
same_type!(u32, u64, i64, f64);

impl RawField for bool {
    type Raw = u32;
    fn to_raw(&self) -> u32 {
        *self as u32
    }
    fn from_raw(raw: u32) -> bool {
        raw != 0
    }
}

/// C enum values <-> Rust enums. The library writes only the values its header declares, which
/// tests/header.rs (retold-sys) checks against these; an unknown one reads as the first variant.
macro_rules! enum_field {
    ($t:ty { $($variant:path = $value:path),* $(,)? }) => {
        impl RawField for $t {
            type Raw = u32;
            fn to_raw(&self) -> u32 {
                match self { $($variant => $value as u32),* }
            }
            fn from_raw(raw: u32) -> $t {
                $(if raw == $value as u32 { return $variant; })*
                enum_field!(@first $($variant),*)
            }
        }
    };
    (@first $first:path $(, $rest:path)*) => { $first };
}

enum_field!(EmbeddingMode {
    EmbeddingMode::Builtin = sys::RETOLD_EMBEDDING_BUILTIN,
    EmbeddingMode::External = sys::RETOLD_EMBEDDING_EXTERNAL,
    EmbeddingMode::Disabled = sys::RETOLD_EMBEDDING_NONE,
});
enum_field!(ShingleKind { ShingleKind::Word = sys::RETOLD_SHINGLE_WORD, ShingleKind::Character = sys::RETOLD_SHINGLE_CHARACTER });
enum_field!(MinhashScheme {
    MinhashScheme::OnePermutation = sys::RETOLD_MINHASH_ONE_PERMUTATION,
    MinhashScheme::MultiplyShift = sys::RETOLD_MINHASH_MULTIPLY_SHIFT,
});
enum_field!(VectorIndexKind {
    VectorIndexKind::Automatic = sys::RETOLD_VECTOR_INDEX_AUTOMATIC,
    VectorIndexKind::Flat = sys::RETOLD_VECTOR_INDEX_FLAT,
    VectorIndexKind::Ivf = sys::RETOLD_VECTOR_INDEX_IVF,
});
enum_field!(MatchDecision {
    MatchDecision::Automatic = sys::RETOLD_MATCH_AUTOMATIC,
    MatchDecision::Model = sys::RETOLD_MATCH_MODEL,
    MatchDecision::Rule = sys::RETOLD_MATCH_RULE,
});

/// A `retold_dedup_options`, the strings its pointers borrow (keep it alive for the call), and
/// the RETOLD_OPTION_* bits of the runtime fields that were set.
pub(crate) struct RawOptions {
    pub(crate) raw: sys::retold_dedup_options,
    pub(crate) runtime_bits: u64,
    _names: Vec<CString>,
    _pointers: Vec<*const c_char>,
}

/// The `retold_dedup_options` of the library's defaults.
pub(crate) fn default_raw() -> Result<sys::retold_dedup_options> {
    // SAFETY: plain data; options_init writes every field of a struct of the size passed.
    let mut o: sys::retold_dedup_options = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    check(unsafe { sys::retold_dedup_options_init(&mut o, std::mem::size_of::<sys::retold_dedup_options>() as u32) })?;
    Ok(o)
}

macro_rules! define_options {
    ($( $(#[doc = $doc:expr])* $field:ident : $t:ty, $bit:expr; )*) => {
        /// Options of a [`crate::Deduplicator`], one field per field of the C ABI's
        /// `retold_dedup_options` (same names; `include/retold/dedup.hpp` documents each and its
        /// range). `None` means: the library's default in [`crate::Deduplicator::with_options`],
        /// the saved value in [`crate::Deduplicator::load_with`]. Set only what you change:
        ///
        /// ```
        /// let opts = retold::Options {
        ///     source_priority: Some(vec!["Reuters".into(), "AP".into()]),
        ///     time_window_seconds: Some(3 * 86400),
        ///     ..Default::default()
        /// };
        /// # let _ = opts;
        /// ```
        ///
        /// Fields marked *structural* are fixed when a state is created and saved with it; the
        /// others (runtime) may change when a state is loaded. The library checks every value
        /// ([`ErrorCode::InvalidArgument`] names the option).
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct Options {
            /// Sets the match fields to a named preset first; explicit fields win over it.
            pub preset: Option<Preset>,
            $( $(#[doc = $doc])* pub $field: Option<$t>, )*
            /// Runtime: the representative policy's outlets, best first.
            pub source_priority: Option<Vec<String>>,
        }

        impl Options {
            /// The C struct: the library's defaults, the preset, then every field that is set.
            pub(crate) fn to_raw(&self) -> Result<RawOptions> {
                let mut o = default_raw()?;
                let mut bits = 0u64;
                if let Some(p) = self.preset {
                    let name = CString::new(p.name()).expect("preset names have no NUL");
                    // SAFETY: `o` is a valid struct; `name` lives for the call.
                    check(unsafe { sys::retold_dedup_options_apply_preset(&mut o, name.as_ptr()) })?;
                    bits |= sys::RETOLD_OPTION_MATCH;
                }
                $(
                    if let Some(v) = &self.$field {
                        o.$field = RawField::to_raw(v);
                        bits |= $bit;
                    }
                )*
                let names = match &self.source_priority {
                    Some(list) => {
                        bits |= sys::RETOLD_OPTION_SOURCE_PRIORITY;
                        list.iter().map(|s| c_string(s, "source_priority entry")).collect::<Result<Vec<CString>>>()?
                    }
                    None => Vec::new(),
                };
                let pointers: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
                o.source_priority_count = pointers.len() as u64;
                o.source_priority = if pointers.is_empty() { ptr::null() } else { pointers.as_ptr() };
                Ok(RawOptions { raw: o, runtime_bits: bits, _names: names, _pointers: pointers })
            }

            /// The options a deduplicator reports (`retold_dedup_get_options`): every field set.
            ///
            /// # Safety
            /// `o.source_priority` points to `o.source_priority_count` valid strings.
            pub(crate) unsafe fn from_raw(o: &sys::retold_dedup_options) -> Options {
                Options {
                    preset: None,
                    $( $field: Some(RawField::from_raw(o.$field)), )*
                    source_priority: Some(
                        (0..o.source_priority_count as usize)
                            .map(|i| borrowed_str(*o.source_priority.add(i)).to_string())
                            .collect(),
                    ),
                }
            }

            /// The first structural field set here whose value differs from `saved`'s, as an
            /// error naming it (structural options cannot change when a state is loaded).
            pub(crate) fn check_structural(&self, saved: &sys::retold_dedup_options) -> Result<()> {
                $(
                    if $bit == 0 {
                        if let Some(v) = &self.$field {
                            let asked = RawField::to_raw(v);
                            if asked != saved.$field {
                                return Err(Error::new(
                                    ErrorCode::Incompatible,
                                    format!(
                                        "option {} is structural: the saved state has {:?}, not {:?} (it cannot change on load)",
                                        stringify!($field), saved.$field, asked
                                    ),
                                ));
                            }
                        }
                    }
                )*
                Ok(())
            }
        }
    };
}

define_options! {
    /// Structural: NFKC + Unicode case folding (default true).
    casefold: bool, 0;
    /// Structural: punctuation and symbols separate tokens (default true).
    fold_punctuation: bool, 0;
    /// Structural: drop agency credit lines and labels (default true).
    strip_boilerplate: bool, 0;
    /// Structural: bad bytes become U+FFFD instead of [`ErrorCode::InvalidUtf8`] (default false).
    replace_invalid_utf8: bool, 0;
    /// Structural: store normalized texts, for explain's shared terms (default false).
    keep_text: bool, 0;
    /// Structural: shingle unit (default word).
    shingle_kind: ShingleKind, 0;
    /// Structural: words (or code points) per shingle (default 5).
    shingle_size: u32, 0;
    /// Structural: MinHash signature length 1..65536 (default 128).
    num_hashes: u32, 0;
    /// Structural: MinHash hash family.
    minhash_scheme: MinhashScheme, 0;
    /// Structural.
    minhash_seed: u64, 0;
    /// Structural: LSH bands; 0 with `lsh_rows` 0 = tuned to `lsh_threshold`.
    lsh_bands: u32, 0;
    /// Structural: LSH rows per band.
    lsh_rows: u32, 0;
    /// Structural: the Jaccard the banding targets, in (0, 1) (default 0.2).
    lsh_threshold: f64, 0;
    /// Structural: where embeddings come from (default builtin).
    embedding_mode: EmbeddingMode, 0;
    /// Structural: floats per caller vector; required (> 0) with [`EmbeddingMode::External`].
    external_dimension: u32, 0;
    /// Structural: built-in embedder output dimension 1..65536 (default 256).
    embedder_dimension: u32, 0;
    /// Structural: word n-grams 1..this (0: no word terms) (default 1).
    embedder_word_ngram_max: u32, 0;
    /// Structural: character n-grams of each word, min..max code points; min 0 disables them.
    embedder_char_ngram_min: u32, 0;
    /// Structural (default 4..4).
    embedder_char_ngram_max: u32, 0;
    /// Structural: 1 + ln(count) instead of count (default true).
    embedder_sublinear_tf: bool, 0;
    /// Structural: log2 of document-frequency counters, 10..28 (default 20).
    embedder_df_buckets_log2: u32, 0;
    /// Structural: weight of word terms (default 1).
    embedder_word_weight: f64, 0;
    /// Structural: weight of a word containing an ASCII digit (default 2).
    embedder_number_weight: f64, 0;
    /// Structural: weight of character n-grams (default 1).
    embedder_char_weight: f64, 0;
    /// Structural: weight of word n-grams of order >= 2 (default 1).
    embedder_word_ngram_weight: f64, 0;
    /// Structural: seed of the term hashes.
    embedder_seed: u64, 0;
    /// Structural: vector index structure (default automatic).
    vector_index_kind: VectorIndexKind, 0;
    /// Structural: IVF cells; 0 = about 4 sqrt(n), retrained as n grows.
    vector_index_nlist: u32, 0;
    /// Structural: IVF cells scanned per query (default 16).
    vector_index_nprobe: u32, 0;
    /// Structural: IVF stores 8-bit codes (default false).
    vector_index_scalar_quantization: bool, 0;
    /// Structural: [`VectorIndexKind::Automatic`] switches to IVF at this size (default 20000).
    vector_index_ivf_min_size: u64, 0;
    /// Structural: seed of the k-means training.
    vector_index_seed: u64, 0;
    /// Structural: evidence sketch, words kept per document, 0..255 (default 64).
    sketch_words: u32, 0;
    /// Structural: word pairs kept (default 64).
    sketch_bigrams: u32, 0;
    /// Structural: numbers kept (default 16).
    sketch_numbers: u32, 0;
    /// Structural: names kept (default 32).
    sketch_names: u32, 0;
    /// Structural: title words kept (default 16).
    sketch_title_words: u32, 0;
    /// Structural: word triples kept (default 64).
    sketch_trigrams: u32, 0;
    /// Structural: the built-in embedder's seed by default.
    sketch_seed: u64, 0;
    /// Runtime: nearest neighbours examined per document (default 16).
    vector_candidates: u64, sys::RETOLD_OPTION_VECTOR_CANDIDATES;
    /// Runtime: how a candidate pair is decided (default automatic).
    decision: MatchDecision, sys::RETOLD_OPTION_DECISION;
    /// Runtime: add_batch workers; 0 = one per hardware thread.
    threads: u32, sys::RETOLD_OPTION_THREADS;
    /// Runtime: the model accepts when P >= this; 0 = the model's own threshold.
    match_threshold: f64, sys::RETOLD_OPTION_MATCH_THRESHOLD;
    /// Runtime: the threshold rule (retold/verify.hpp), each in [0, 1].
    jaccard_threshold: f64, sys::RETOLD_OPTION_JACCARD_THRESHOLD;
    /// Runtime.
    cosine_threshold: f64, sys::RETOLD_OPTION_COSINE_THRESHOLD;
    /// Runtime.
    combined_weight_jaccard: f64, sys::RETOLD_OPTION_COMBINED_WEIGHT_JACCARD;
    /// Runtime.
    combined_threshold: f64, sys::RETOLD_OPTION_COMBINED_THRESHOLD;
    /// Runtime: a document at least this close (estimated Jaccard) to any member joins that
    /// member's story even if the leader is further (copies of copies), in [0, 1].
    copy_jaccard: f64, sys::RETOLD_OPTION_COPY_JACCARD;
    /// Runtime: 0 = no window; else only documents this close in time match.
    time_window_seconds: i64, sys::RETOLD_OPTION_TIME_WINDOW_SECONDS;
    /// Runtime: larger texts give [`ErrorCode::TooLarge`] (default 1 MiB).
    max_document_bytes: u64, sys::RETOLD_OPTION_MAX_DOCUMENT_BYTES;
    /// Runtime: the caller's retention, saved with the state so the next run applies the same
    /// (0 = none); the library never evicts by itself ([`crate::Deduplicator::evict_before`]).
    retention_seconds: i64, sys::RETOLD_OPTION_RETENTION_SECONDS;
    /// Runtime: each document's opening kept with the state ([`crate::Member::snippet`]), at
    /// most this many bytes; 0 = none; applies to documents added from then on (default 240).
    snippet_bytes: u32, sys::RETOLD_OPTION_SNIPPET_BYTES;
}
