//! Every option of the C ABI is reachable from Rust, set values come back as set, defaults are
//! the library's, presets apply, and loading keeps saved values of what is not overridden.
mod common;

use std::env;
use std::fs;
use std::path::Path;

use common::{rate_copy, scratch_dir, FOOTBALL, RATE};
use retold::{
    Deduplicator, Document, EmbeddingMode, ErrorCode, MatchDecision, MinhashScheme, Options, Preset, ShingleKind,
    VectorIndexKind,
};

/// The field names of retold_dedup_options in retold.h, in order.
fn header_option_fields() -> Vec<String> {
    let include = match env::var_os("RETOLD_INCLUDE_DIR") {
        Some(d) if !d.is_empty() => Path::new(&d).to_path_buf(),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../include"),
    };
    let header = fs::read_to_string(include.join("retold/retold.h")).expect("retold.h (set RETOLD_INCLUDE_DIR)");
    let start = header.find("typedef struct retold_dedup_options {").expect("retold_dedup_options in retold.h");
    let end = start + header[start..].find("} retold_dedup_options;").unwrap();
    let mut body = String::new();
    let mut rest = &header[start + "typedef struct retold_dedup_options {".len()..end];
    while let Some(c) = rest.find("/*") {
        body.push_str(&rest[..c]);
        rest = &rest[c + rest[c..].find("*/").unwrap() + 2..];
    }
    body.push_str(rest);
    body.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next().unwrap().to_string())
        .collect()
}

#[test]
fn every_c_option_has_a_field() {
    let c: Vec<String> = header_option_fields()
        .into_iter()
        .filter(|f| f != "struct_size" && f != "source_priority_count") // set by the binding
        .collect();
    assert!(c.len() > 40, "parsed {} fields", c.len());
    // the field names of Options, from its Debug output (every field but `preset` is a C field)
    let rust: Vec<String> = debug_fields(&format!("{:?}", Options::default()))
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name != "preset")
        .collect();
    let mut c_sorted = c.clone();
    c_sorted.sort();
    let mut rust_sorted = rust;
    rust_sorted.sort();
    assert_eq!(rust_sorted, c_sorted, "Options and retold_dedup_options differ");
}

/// Every field set to a valid value other than its default.
fn everything_changed() -> Options {
    Options {
        preset: None,
        casefold: Some(false),
        fold_punctuation: Some(false),
        strip_boilerplate: Some(false),
        replace_invalid_utf8: Some(true),
        keep_text: Some(true),
        shingle_kind: Some(ShingleKind::Character),
        shingle_size: Some(4),
        num_hashes: Some(64),
        minhash_scheme: Some(MinhashScheme::MultiplyShift),
        minhash_seed: Some(7),
        lsh_bands: Some(16),
        lsh_rows: Some(4),
        lsh_threshold: Some(0.3),
        embedding_mode: Some(EmbeddingMode::Builtin),
        external_dimension: Some(0),
        embedder_dimension: Some(128),
        embedder_word_ngram_max: Some(2),
        embedder_char_ngram_min: Some(3),
        embedder_char_ngram_max: Some(5),
        embedder_sublinear_tf: Some(false),
        embedder_df_buckets_log2: Some(16),
        embedder_word_weight: Some(1.5),
        embedder_number_weight: Some(3.0),
        embedder_char_weight: Some(0.5),
        embedder_word_ngram_weight: Some(0.75),
        embedder_seed: Some(11),
        vector_index_kind: Some(VectorIndexKind::Ivf),
        vector_index_nlist: Some(32),
        vector_index_nprobe: Some(8),
        vector_index_scalar_quantization: Some(true),
        vector_index_ivf_min_size: Some(5000),
        vector_index_seed: Some(13),
        sketch_words: Some(32),
        sketch_bigrams: Some(33),
        sketch_numbers: Some(8),
        sketch_names: Some(16),
        sketch_title_words: Some(9),
        sketch_trigrams: Some(31),
        sketch_seed: Some(17),
        vector_candidates: Some(4),
        decision: Some(MatchDecision::Rule),
        threads: Some(2),
        match_threshold: Some(0.6),
        jaccard_threshold: Some(0.4),
        cosine_threshold: Some(0.9),
        combined_weight_jaccard: Some(0.25),
        combined_threshold: Some(0.8),
        copy_jaccard: Some(0.95),
        time_window_seconds: Some(60),
        max_document_bytes: Some(5000),
        retention_seconds: Some(30 * 86400),
        snippet_bytes: Some(100),
        source_priority: Some(vec!["A".into(), "B".into()]),
    }
}

#[test]
fn set_options_come_back_as_set() {
    let opts = everything_changed();
    let d = Deduplicator::with_options(&opts).unwrap_or_else(|e| panic!("{}", e));
    assert_eq!(d.options().unwrap(), opts);
    let defaults = Deduplicator::new().unwrap().options().unwrap();
    // every field changed: none equals its default
    let set = format!("{:?}", opts);
    for (field, value) in debug_fields(&format!("{:?}", defaults)) {
        if field == "preset" || field == "embedding_mode" || field == "external_dimension" {
            continue; // the embedder fields need builtin mode: these two are checked below
        }
        let mine = debug_fields(&set).into_iter().find(|f| f.0 == field).unwrap().1;
        assert_ne!(mine, value, "{} is set to its default: the test would not see it ignored", field);
    }
}

#[test]
fn external_mode_comes_back_as_set() {
    let opts =
        Options { embedding_mode: Some(EmbeddingMode::External), external_dimension: Some(8), ..Default::default() };
    let got = Deduplicator::with_options(&opts).unwrap().options().unwrap();
    assert_eq!((got.embedding_mode, got.external_dimension), (opts.embedding_mode, opts.external_dimension));
}

/// (field, value) pairs of a `{:?}` of Options (values have no ", " of their own but lists).
fn debug_fields(debug: &str) -> Vec<(String, String)> {
    let inner = &debug[debug.find('{').unwrap() + 1..debug.rfind('}').unwrap()];
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for ch in inner.chars() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            out.push(cur.clone());
            cur.clear();
        } else {
            cur.push(ch);
        }
    }
    out.push(cur);
    out.iter().filter_map(|kv| kv.split_once(": ").map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect()
}

#[test]
fn defaults_are_the_librarys() {
    let o = Deduplicator::new().unwrap().options().unwrap();
    assert_eq!(o.embedding_mode, Some(EmbeddingMode::Builtin));
    assert_eq!((o.num_hashes, o.shingle_size, o.embedder_dimension), (Some(128), Some(5), Some(256)));
    assert_eq!((o.casefold, o.strip_boilerplate, o.keep_text), (Some(true), Some(true), Some(false)));
    assert!(o.lsh_bands.unwrap() * o.lsh_rows.unwrap() <= 128);
    assert_eq!(o.source_priority, Some(vec![]));
    assert_eq!(o.decision, Some(MatchDecision::Automatic));
}

#[test]
fn presets_set_the_match_fields_and_explicit_fields_win() {
    let copies = Deduplicator::with_options(&Options { preset: Some(Preset::Copies), ..Default::default() })
        .unwrap()
        .options()
        .unwrap();
    let stories = Deduplicator::with_options(&Options { preset: Some(Preset::Stories), ..Default::default() })
        .unwrap()
        .options()
        .unwrap();
    let retellings = Deduplicator::new().unwrap().options().unwrap();
    assert_ne!(copies, stories);
    assert_eq!(
        Deduplicator::with_options(&Options { preset: Some(Preset::Retellings), ..Default::default() })
            .unwrap()
            .options()
            .unwrap(),
        retellings,
        "retellings are the defaults"
    );
    assert_eq!(copies.num_hashes, retellings.num_hashes, "a preset sets the match fields only");
    let mixed = Deduplicator::with_options(&Options {
        preset: Some(Preset::Copies),
        copy_jaccard: Some(0.77),
        ..Default::default()
    })
    .unwrap()
    .options()
    .unwrap();
    assert_eq!(mixed.copy_jaccard, Some(0.77));
    assert_eq!(mixed.jaccard_threshold, copies.jaccard_threshold);
}

#[test]
fn load_keeps_saved_values_of_what_is_not_overridden() {
    let dir = scratch_dir("load-overrides");
    let state = dir.join("state");
    let saved = Options {
        source_priority: Some(vec!["Wire".into()]),
        time_window_seconds: Some(7 * 86400),
        copy_jaccard: Some(0.9),
        max_document_bytes: Some(50_000),
        keep_text: Some(true),
        ..Default::default()
    };
    let d = Deduplicator::with_options(&saved).unwrap();
    d.add(&Document::new("rate", RATE).timestamp(1)).unwrap();
    d.add(&Document::new("copy", &rate_copy()).timestamp(2).source("Wire")).unwrap();
    d.add(&Document::new("football", FOOTBALL).timestamp(3)).unwrap();
    d.save(&state).unwrap();
    let before = d.options().unwrap();

    let back =
        Deduplicator::load_with(&state, &Options { time_window_seconds: Some(3600), ..Default::default() }).unwrap();
    let after = back.options().unwrap();
    assert_eq!(after.time_window_seconds, Some(3600));
    assert_eq!(Options { time_window_seconds: Some(3600), ..before.clone() }, after, "only the override changed");
    assert_eq!(back.clusters(0).unwrap().len(), 2);

    // structural: the saved value is accepted, another one refused with its name
    Deduplicator::load_with(&state, &Options { keep_text: Some(true), ..Default::default() }).unwrap();
    let e = Deduplicator::load_with(&state, &Options { num_hashes: Some(64), ..Default::default() }).unwrap_err();
    assert!(e.code() == ErrorCode::Incompatible && e.message().contains("num_hashes"), "{}", e);
    // an out-of-range runtime value
    let e = Deduplicator::load_with(&state, &Options { copy_jaccard: Some(2.0), ..Default::default() }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument, "{}", e);
    // a preset on load changes the match fields only
    let p = Deduplicator::load_with(&state, &Options { preset: Some(Preset::Copies), ..Default::default() }).unwrap();
    let po = p.options().unwrap();
    assert_eq!(
        (po.time_window_seconds, po.source_priority.clone()),
        (before.time_window_seconds, before.source_priority)
    );
}
