//! Every C status code surfaces as a `retold::Error` with its pinned `ErrorCode` and the
//! library's message; bad input is refused, never a crash.
mod common;

use std::fs;

use common::{rate_copy, scratch_dir, FOOTBALL, RATE};
use retold::{Deduplicator, Document, EmbeddingMode, Error, ErrorCode, Options, QueryOptions, Signature};

fn dedup() -> Deduplicator {
    Deduplicator::with_options(&Options { source_priority: Some(vec!["Wire".into()]), ..Default::default() }).unwrap()
}

#[test]
fn codes_are_pinned_and_named_as_the_library_names_them() {
    let expected = [
        (ErrorCode::InvalidArgument, -1),
        (ErrorCode::InvalidUtf8, -2),
        (ErrorCode::NotFound, -3),
        (ErrorCode::Incompatible, -4),
        (ErrorCode::Io, -5),
        (ErrorCode::Corrupted, -6),
        (ErrorCode::OutOfMemory, -7),
        (ErrorCode::TooLarge, -8),
        (ErrorCode::Duplicate, -9),
        (ErrorCode::Parse, -10),
        (ErrorCode::Conflict, -11),
        (ErrorCode::BufferTooSmall, -30),
        (ErrorCode::Internal, -99),
    ];
    assert_eq!(ErrorCode::ALL.len(), expected.len());
    for (code, raw) in expected {
        assert_eq!(code.raw(), raw, "{:?}", code);
        assert_eq!(ErrorCode::from_raw(raw), code);
        // SAFETY: a static string owned by the library.
        let c_name = unsafe { std::ffi::CStr::from_ptr(retold::sys::retold_error_name(raw)) };
        assert_eq!(code.name(), c_name.to_str().unwrap(), "{:?}", code);
    }
    assert_eq!(ErrorCode::from_raw(-55), ErrorCode::Unknown);
    assert_eq!(ErrorCode::Unknown.name(), "unknown");
}

#[test]
fn error_is_a_std_error_that_crosses_threads() {
    fn assert_traits<T: std::error::Error + Send + Sync + 'static>() {}
    assert_traits::<Error>();
    let d = dedup();
    let e = d.cluster_of("nobody").unwrap_err();
    let shown = format!("{}", e);
    assert!(shown.contains("nobody") && shown.contains("not_found"), "{}", shown);
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e.clone());
    assert_eq!(boxed.to_string(), shown);
    assert_eq!(e.raw_code(), -3);
}

#[test]
fn invalid_utf8() {
    let d = dedup();
    let e = d.add(&Document::new("bad", &b"Valid start \xff\xfe then garbage"[..])).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidUtf8);
    assert!(e.message().contains("'bad'") && e.message().contains("12"), "{}", e);
    for bad in [&b"overlong \xc0\xaf"[..], b"surrogate \xed\xa0\x80", b"cut \xe2\x82"] {
        assert_eq!(d.add(&Document::new("bad", bad)).unwrap_err().code(), ErrorCode::InvalidUtf8);
    }
    assert_eq!(
        d.add(&Document::new("bad", RATE).title(&b"\x80 title"[..])).unwrap_err().code(),
        ErrorCode::InvalidUtf8
    );
    assert_eq!(d.query(&b"\xff"[..]).unwrap_err().code(), ErrorCode::InvalidUtf8);
    assert_eq!(d.compute_signature(&b"\xff"[..]).unwrap_err().code(), ErrorCode::InvalidUtf8);
    assert_eq!(d.compute_embedding(&b"\xff"[..]).unwrap_err().code(), ErrorCode::InvalidUtf8);
    assert_eq!(d.stats().unwrap().documents, 0); // nothing stored by a refused add
    let lenient =
        Deduplicator::with_options(&Options { replace_invalid_utf8: Some(true), ..Default::default() }).unwrap();
    lenient.add(&Document::new("ok", &b"broken \xff text"[..])).unwrap();
}

#[test]
fn not_found() {
    let d = dedup();
    d.add(&Document::new("a", RATE)).unwrap();
    let e = d.cluster_of("nobody").unwrap_err();
    assert!(e.code() == ErrorCode::NotFound && e.message().contains("nobody"), "{}", e);
    assert_eq!(d.remove("nobody").unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(d.representative_of("nobody").unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(d.cluster(987_654).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(d.explain("a", "nobody").unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn duplicate_and_invalid_ids() {
    let d = dedup();
    d.add(&Document::new("a", RATE)).unwrap();
    let e = d.add(&Document::new("a", FOOTBALL)).unwrap_err();
    assert!(e.code() == ErrorCode::Duplicate && e.message().contains("'a'"), "{}", e);
    assert_eq!(d.add(&Document::new("", RATE)).unwrap_err().code(), ErrorCode::InvalidArgument);
    let long = "x".repeat(1100);
    assert_eq!(d.add(&Document::new(&long, RATE)).unwrap_err().code(), ErrorCode::InvalidArgument);
    let e = d.add(&Document::new("nul\0inside", RATE)).unwrap_err();
    assert!(e.code() == ErrorCode::InvalidArgument && e.message().contains("NUL"), "{}", e);
    let e = d.add(&Document::new("ok", RATE).source("nul\0inside")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert_eq!(d.contains("nul\0").unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(d.stats().unwrap().documents, 1);
}

#[test]
fn too_large() {
    let d = Deduplicator::with_options(&Options { max_document_bytes: Some(100), ..Default::default() }).unwrap();
    let e = d.add(&Document::new("big", &"x".repeat(200))).unwrap_err();
    assert!(e.code() == ErrorCode::TooLarge && e.message().contains("big"), "{}", e);
}

#[test]
fn invalid_options_are_refused_with_a_message() {
    let cases = vec![
        Options { jaccard_threshold: Some(1.5), ..Default::default() },
        Options { cosine_threshold: Some(-0.1), ..Default::default() },
        Options { lsh_threshold: Some(1.0), ..Default::default() },
        Options { num_hashes: Some(0), ..Default::default() },
        Options { num_hashes: Some(70_000), ..Default::default() },
        Options { lsh_bands: Some(8), ..Default::default() },
        Options { embedding_mode: Some(EmbeddingMode::External), ..Default::default() },
        Options { embedding_mode: Some(EmbeddingMode::External), external_dimension: Some(0), ..Default::default() },
        Options { time_window_seconds: Some(-1), ..Default::default() },
        Options { embedder_df_buckets_log2: Some(40), ..Default::default() },
        Options { jaccard_threshold: Some(f64::NAN), ..Default::default() },
        Options { source_priority: Some(vec!["nul\0".into()]), ..Default::default() },
    ];
    for (i, o) in cases.iter().enumerate() {
        let e = match Deduplicator::with_options(o) {
            Ok(_) => panic!("case {} accepted: {:?}", i, o),
            Err(e) => e,
        };
        assert_eq!(e.code(), ErrorCode::InvalidArgument, "case {}: {}", i, e);
        assert!(!e.message().is_empty());
    }
}

#[test]
fn incompatible() {
    let d = dedup();
    d.add(&Document::new("a", RATE)).unwrap();
    let e = d.query_vector(&[1.0, 0.0], &QueryOptions::default()).unwrap_err();
    assert!(e.code() == ErrorCode::Incompatible && e.message().contains('2'), "{}", e);
    let small = Deduplicator::with_options(&Options { num_hashes: Some(64), ..Default::default() }).unwrap();
    let e = d.compute_signature(RATE).unwrap().jaccard(&small.compute_signature(RATE).unwrap()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Incompatible);
    let lexical =
        Deduplicator::with_options(&Options { embedding_mode: Some(EmbeddingMode::Disabled), ..Default::default() })
            .unwrap();
    let v = vec![1.0f32; 256];
    assert_eq!(lexical.add(&Document::new("v", RATE).vector(&v)).unwrap_err().code(), ErrorCode::Incompatible);
    let nan = vec![f32::NAN; 256];
    assert_eq!(d.query_vector(&nan, &QueryOptions::default()).unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn conflict_between_two_writers() {
    let dir = scratch_dir("conflict");
    let state = dir.join("state");
    let d = dedup();
    d.add(&Document::new("a", RATE)).unwrap();
    d.save(&state).unwrap();
    {
        let other = Deduplicator::load(&state).unwrap();
        other.add(&Document::new("b", FOOTBALL)).unwrap();
        other.save(&state).unwrap();
    }
    let e = d.save(&state).unwrap_err(); // the other saved in between: refused, its "b" kept
    assert!(e.code() == ErrorCode::Conflict && e.raw_code() == -11, "{}", e);
    assert_eq!(Deduplicator::load(&state).unwrap().stats().unwrap().documents, 2);
    let fresh = Deduplicator::new().unwrap();
    assert_eq!(fresh.save(&state).unwrap_err().code(), ErrorCode::Conflict); // never loaded it
    fresh.save_replace(&state).unwrap();
    assert_eq!(Deduplicator::load(&state).unwrap().stats().unwrap().documents, 0);
}

#[test]
fn persistence_errors() {
    let dir = scratch_dir("persistence-errors");
    let d = dedup();
    d.add(&Document::new("a", RATE)).unwrap();
    d.add(&Document::new("b", &rate_copy())).unwrap();
    assert_eq!(Deduplicator::load(dir.join("nothing-here")).unwrap_err().code(), ErrorCode::NotFound);
    let blocker = dir.join("file");
    fs::write(&blocker, "in the way").unwrap();
    let e = d.save(blocker.join("state")).unwrap_err();
    assert!(e.code() == ErrorCode::Io && e.raw_code() == -5, "{}", e);
    assert_eq!(d.save("").unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(d.save("nul\0path").unwrap_err().code(), ErrorCode::InvalidArgument);

    let state = dir.join("state");
    d.save(&state).unwrap();
    let mut damaged = 0;
    for entry in walk(&state) {
        let mut data = fs::read(&entry).unwrap();
        if !data.is_empty() {
            let mid = data.len() / 2;
            data[mid] ^= 0x5A;
            fs::write(&entry, data).unwrap();
            damaged += 1;
        }
    }
    assert!(damaged > 0);
    let e = Deduplicator::load(&state).unwrap_err();
    assert!(e.code() == ErrorCode::Corrupted && e.raw_code() == -6, "{}", e);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn signature_bytes_errors() {
    let d = dedup();
    let raw = d.compute_signature(RATE).unwrap().to_bytes().unwrap();
    assert_eq!(Signature::from_bytes(&raw[..raw.len() - 1]).unwrap_err().code(), ErrorCode::Corrupted);
    assert_eq!(Signature::from_bytes(&[]).unwrap_err().code(), ErrorCode::Corrupted);
    let mut bad_magic = raw.clone();
    bad_magic[0] = b'X';
    assert_eq!(Signature::from_bytes(&bad_magic).unwrap_err().code(), ErrorCode::Corrupted);
    let mut future = raw;
    future[4] = 9; // unknown format version
    assert_eq!(Signature::from_bytes(&future).unwrap_err().code(), ErrorCode::Incompatible);
}

#[test]
fn errors_carry_the_library_message_and_code() {
    let d = dedup();
    let e = d.remove("ghost").unwrap_err();
    assert!(e.message().starts_with("retold_dedup_remove: ") && e.message().contains("ghost"), "{}", e);
    assert_eq!(e.code(), ErrorCode::NotFound);
}
