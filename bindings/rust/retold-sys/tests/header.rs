//! Checks the declarations in src/lib.rs against include/retold/retold.h, without any crate:
//!
//! 1. parses retold.h (functions, structs, enums, #defines) and src/lib.rs (extern fns, structs,
//!    consts) and compares every function's name, parameter types and return type, every
//!    struct's field names and types in order, every opaque handle, and every constant's value;
//! 2. generates a C11 program (for _Alignof; the header itself is C99) from the parsed header that prints each struct's size, alignment and
//!    field offsets, compiles it with the system C compiler ($CC or `cc`) and compares with the
//!    layout Rust gives the same structs;
//! 3. calls the linked library's retold_version() against the header's RETOLD_VERSION_NUMBER.
//!
//! The header is found in $RETOLD_INCLUDE_DIR (default: the repository's include/), the generated
//! retold/version.h in $RETOLD_LIB_DIR/include (a CMake build directory) or the system paths.

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::mem::{align_of, size_of, MaybeUninit};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::ptr::addr_of;

use retold_sys::*;

mod parse;
use parse::{c_type_to_rust, eval, nospace, parse_header, parse_rust, Api};

// ------------------------------------------------------------------------------------------
// layouts as Rust gives them; the destructuring pattern (no `..`) makes the compiler refuse a
// list that misses a field of the Rust struct

struct Layout {
    size: usize,
    align: usize,
    offsets: Vec<(String, usize)>,
}

macro_rules! layouts {
    ($($t:ident { $($f:ident),* $(,)? })*) => {{
        let mut m: BTreeMap<String, Layout> = BTreeMap::new();
        $({
            #[allow(dead_code)]
            fn every_field(v: $t) { let $t { $($f: _),* } = v; }
            let u = MaybeUninit::<$t>::uninit();
            let base = u.as_ptr();
            let offsets = vec![$((
                stringify!($f).to_string(),
                // SAFETY: addr_of! on a field of an uninitialized value takes its address
                // without reading or creating a reference.
                unsafe { (addr_of!((*base).$f) as *const u8).offset_from(base as *const u8) as usize },
            )),*];
            m.insert(stringify!($t).to_string(), Layout { size: size_of::<$t>(), align: align_of::<$t>(), offsets });
        })*
        m
    }};
}

fn rust_layouts() -> BTreeMap<String, Layout> {
    layouts! {
        retold_dedup_options { struct_size, casefold, fold_punctuation, strip_boilerplate, replace_invalid_utf8, keep_text, shingle_kind, shingle_size, num_hashes, minhash_scheme, minhash_seed, lsh_bands, lsh_rows, lsh_threshold, embedding_mode, external_dimension, embedder_dimension, embedder_word_ngram_max, embedder_char_ngram_min, embedder_char_ngram_max, embedder_sublinear_tf, embedder_df_buckets_log2, embedder_word_weight, embedder_number_weight, embedder_char_weight, embedder_word_ngram_weight, embedder_seed, vector_index_kind, vector_index_nlist, vector_index_nprobe, vector_index_scalar_quantization, vector_index_ivf_min_size, vector_index_seed, sketch_words, sketch_bigrams, sketch_numbers, sketch_names, sketch_title_words, sketch_trigrams, sketch_seed, vector_candidates, decision, threads, match_threshold, jaccard_threshold, cosine_threshold, combined_weight_jaccard, combined_threshold, copy_jaccard, time_window_seconds, max_document_bytes, source_priority_count, source_priority, retention_seconds, snippet_bytes }
        retold_document { struct_size, vector_dim, id, text, text_len, title, title_len, source, timestamp, vector }
        retold_scores { jaccard, cosine, score, has_cosine, decision }
        retold_add_result { struct_size, status, new_story, has_leader, cluster_id, candidates, leader_scores, leader_id, error }
        retold_query_options { struct_size, top_k, include_rejected, has_timestamp, timestamp, min_score }
        retold_match { struct_size, id, cluster_id, scores }
        retold_match_list { struct_size, item_size, items, count, internal_ }
        retold_cluster_member { struct_size, id, source, timestamp, scores, title, snippet }
        retold_cluster { struct_size, id, representative, leader, members, member_count }
        retold_cluster_list { struct_size, item_size, member_size, items, count, internal_ }
        retold_feature { struct_size, name, value, contribution }
        retold_explanation { struct_size, feature_size, scores, probability, features, feature_count, shared_terms, shared_term_count, shared_passage, internal_ }
        retold_stats { struct_size, documents, clusters, multi_member_clusters, documents_added_total, documents_removed_total, memory_bytes, frequency_documents, add_features_seconds, add_embed_seconds, add_candidates_seconds, add_verify_cluster_seconds, add_index_add_seconds }
    }
}

// ------------------------------------------------------------------------------------------
// locating and compiling

fn include_dir() -> PathBuf {
    match env::var_os("RETOLD_INCLUDE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../include"),
    }
}

fn header_source() -> String {
    let path = include_dir().join("retold/retold.h");
    fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({}): set RETOLD_INCLUDE_DIR to the directory holding retold/retold.h",
            path.display(),
            e
        )
    })
}

/// Compiles and runs `program` against the header; its stdout.
fn run_c_probe(name: &str, program: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    fs::create_dir_all(&dir).unwrap();
    let src = dir.join("probe.c");
    let exe = dir.join("probe");
    fs::write(&src, program).unwrap();
    let cc = env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let mut cmd = Command::new(&cc);
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-o"]).arg(&exe).arg(&src);
    cmd.arg("-I").arg(include_dir());
    if let Some(lib) = env::var_os("RETOLD_LIB_DIR").filter(|d| !d.is_empty()) {
        cmd.arg("-I").arg(Path::new(&lib).join("include")); // the generated retold/version.h
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run the C compiler `{}` ({}): set CC", cc, e));
    assert!(out.status.success(), "{} failed on the layout probe:\n{}", cc, String::from_utf8_lossy(&out.stderr));
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success(), "the layout probe failed");
    String::from_utf8(run.stdout).unwrap()
}

/// `tag` names the probe's directory: tests run in parallel.
fn c_layouts(header: &Api, tag: &str) -> (BTreeMap<String, Layout>, f64) {
    let mut p = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <retold/retold.h>\nint main(void) {\n\
         printf(\"version %lu\\n\", (unsigned long)RETOLD_VERSION_NUMBER);\n",
    );
    for (name, fields) in &header.structs {
        p += &format!(
            "printf(\"S {n} %lu %lu\\n\", (unsigned long)sizeof({n}), (unsigned long)_Alignof({n}));\n",
            n = name
        );
        for (f, _) in fields {
            p += &format!("printf(\"F {n} {f} %lu\\n\", (unsigned long)offsetof({n}, {f}));\n", n = name, f = f);
        }
    }
    p += "return 0;\n}\n";
    let out = run_c_probe(tag, &p);
    let mut m: BTreeMap<String, Layout> = BTreeMap::new();
    let mut version = -1.0;
    for line in out.lines() {
        let w: Vec<&str> = line.split(' ').collect();
        match w[0] {
            "version" => version = w[1].parse().unwrap(),
            "S" => {
                m.insert(
                    w[1].into(),
                    Layout { size: w[2].parse().unwrap(), align: w[3].parse().unwrap(), offsets: vec![] },
                );
            }
            "F" => m.get_mut(w[1]).unwrap().offsets.push((w[2].into(), w[3].parse().unwrap())),
            _ => panic!("odd probe line {}", line),
        }
    }
    (m, version)
}

// ------------------------------------------------------------------------------------------

#[test]
fn every_function_matches_the_header() {
    let c = parse_header(&header_source());
    let rust = parse_rust(include_str!("../src/lib.rs"));
    assert!(c.functions.len() >= 30, "parsed only {} functions from retold.h", c.functions.len());
    let c_names: Vec<&String> = c.functions.keys().collect();
    let r_names: Vec<&String> = rust.functions.keys().collect();
    assert_eq!(c_names, r_names, "function names differ (header vs src/lib.rs)");
    for (name, (params, ret)) in &c.functions {
        let (rp, rr) = &rust.functions[name];
        let c_sig: Vec<String> = params.iter().map(|p| nospace(p)).collect();
        let r_sig: Vec<String> = rp.iter().map(|p| nospace(p)).collect();
        assert_eq!(c_sig, r_sig, "parameters of {}", name);
        assert_eq!(nospace(ret), nospace(rr), "return type of {}", name);
    }
}

#[test]
fn every_struct_matches_the_header() {
    let c = parse_header(&header_source());
    let rust = parse_rust(include_str!("../src/lib.rs"));
    let c_names: Vec<&String> = c.structs.keys().collect();
    let r_names: Vec<&String> = rust.structs.keys().collect();
    assert_eq!(c_names, r_names, "struct names differ (header vs src/lib.rs)");
    for (name, fields) in &c.structs {
        let cf: Vec<(String, String)> = fields.iter().map(|(f, t)| (f.clone(), nospace(t))).collect();
        let rf: Vec<(String, String)> = rust.structs[name].iter().map(|(f, t)| (f.clone(), nospace(t))).collect();
        assert_eq!(cf, rf, "fields of {}", name);
    }
    let mut co = c.opaque.clone();
    let mut ro = rust.opaque.clone();
    co.sort();
    ro.sort();
    assert_eq!(co, ro, "opaque handles");
}

#[test]
fn every_constant_matches_the_header() {
    let c = parse_header(&header_source());
    let rust = parse_rust(include_str!("../src/lib.rs"));
    assert!(c.constants.contains_key("RETOLD_EINTERNAL") && c.constants.contains_key("RETOLD_OPTION_MATCH"));
    for (name, v) in &c.constants {
        match rust.constants.get(name) {
            Some(r) => assert_eq!(r, v, "value of {}", name),
            None => panic!("{} = {} is in retold.h but not in src/lib.rs", name, v),
        }
    }
    for name in rust.constants.keys() {
        assert!(c.constants.contains_key(name), "{} is in src/lib.rs but not in retold.h", name);
    }
}

#[test]
fn struct_layouts_match_the_c_compiler() {
    let header = parse_header(&header_source());
    let (c, _) = c_layouts(&header, "layout");
    let rust = rust_layouts();
    let c_names: Vec<&String> = c.keys().collect();
    let r_names: Vec<&String> = rust.keys().collect();
    assert_eq!(c_names, r_names, "the layout list in this test misses a struct of retold.h");
    for (name, cl) in &c {
        let rl = &rust[name];
        assert_eq!((rl.size, rl.align), (cl.size, cl.align), "size and alignment of {}", name);
        assert_eq!(rl.offsets, cl.offsets, "field offsets of {}", name);
    }
}

#[test]
fn linked_library_is_the_header_version() {
    let (_, header_version) = c_layouts(&parse_header(&header_source()), "version");
    // SAFETY: no arguments, returns a number.
    let linked = unsafe { retold_version() };
    assert_eq!(linked as f64, header_version, "libretold_c is not the version of the header");
    // SAFETY: static NUL-terminated strings owned by the library.
    let name = unsafe { std::ffi::CStr::from_ptr(retold_error_name(RETOLD_EUTF8)) };
    assert_eq!(name.to_str().unwrap(), "invalid_utf8");
    // SAFETY: no arguments.
    assert_eq!(unsafe { retold_abi_version() }, RETOLD_C_ABI_VERSION, "libretold_c is another ABI generation");
}

#[test]
fn the_parsers_see_what_they_must() {
    // guards the test itself: a parser that silently found nothing would pass the others
    assert_eq!(c_type_to_rust("const char *const *"), "*const *const c_char");
    assert_eq!(c_type_to_rust("retold_dedup **"), "*mut *mut retold_dedup");
    assert_eq!(c_type_to_rust("const retold_cluster_member *"), "*const retold_cluster_member");
    assert_eq!(c_type_to_rust("void *"), "*mut c_void");
    assert_eq!(c_type_to_rust("void"), "");
    let none = BTreeMap::new();
    assert_eq!(eval("1u << 4", &none), Some(16.0));
    assert_eq!(eval("(-1.0)", &none), Some(-1.0));
    assert_eq!(eval("((uint64_t)0xFFF)", &none), Some(4095.0));
    let mut known = BTreeMap::new();
    known.insert("A".to_string(), 1.0);
    known.insert("B".to_string(), 4.0);
    assert_eq!(eval("(A | B | ((uint64_t)1 << 3))", &known), Some(13.0));
    let c = parse_header(&header_source());
    assert_eq!(c.functions["retold_dedup_query"].0.len(), 5);
    assert_eq!(c.structs["retold_stats"].len(), size_of::<retold_stats>() / 8);
    assert_eq!(c.constants["RETOLD_OPTION_ALL_RUNTIME"], 16383.0);
    assert_eq!(c.constants["RETOLD_OPTION_SCORING"], (0xF << 4) as f64);
    assert!(c.opaque.contains(&"retold_dedup".to_string()));
}
