//! Prepared documents: features computed in one place (any thread, any process), added in
//! another, with exactly the results of adding the documents themselves.
mod common;

use common::{rate_copy, seed_corpus, FOOTBALL, RATE};
use retold::{Deduplicator, Document, EmbeddingMode, ErrorCode, Options, Prepared};

#[test]
fn prepared_through_bytes_gives_the_stories_of_add_batch() {
    let corpus = seed_corpus();
    let docs: Vec<Document<'_>> = corpus
        .iter()
        .map(|s| {
            let d = Document::new(&s.id, &s.text).timestamp(s.timestamp).source(&s.source);
            match &s.title {
                Some(t) => d.title(t),
                None => d,
            }
        })
        .collect();
    let direct = Deduplicator::new().unwrap();
    let want = direct.add_batch(&docs).unwrap();

    let preparer = Deduplicator::new().unwrap(); // same configuration, nothing added to it
    let blobs: Vec<Vec<u8>> = docs.iter().map(|d| preparer.prepare(d).unwrap().to_bytes().unwrap()).collect();
    let prepared: Vec<Prepared> = blobs.iter().map(|b| Prepared::from_bytes(b).unwrap()).collect();
    let via = Deduplicator::new().unwrap();
    let got = via.add_prepared_batch(&prepared.iter().collect::<Vec<_>>()).unwrap();
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let (g, w) = (g.as_ref().unwrap(), w.as_ref().unwrap());
        assert_eq!((g.new_story, g.cluster_id, g.candidates), (w.new_story, w.cluster_id, w.candidates), "doc {}", i);
    }
    for s in &corpus {
        assert_eq!(via.cluster_of(&s.id).unwrap(), direct.cluster_of(&s.id).unwrap(), "{}", s.id);
    }
    // Re-serializing a parsed blob gives the same bytes.
    assert_eq!(prepared[0].to_bytes().unwrap(), blobs[0]);
}

#[test]
fn band_keys_are_the_signature_bands() {
    let d = Deduplicator::new().unwrap();
    let a = d.prepare(&Document::new("a", RATE)).unwrap();
    let b = d.prepare(&Document::new("b", RATE)).unwrap(); // same text, other id
    let c = d.prepare(&Document::new("c", FOOTBALL)).unwrap();
    let (ka, kb, kc) = (a.band_keys().unwrap(), b.band_keys().unwrap(), c.band_keys().unwrap());
    assert!(!ka.is_empty());
    assert_eq!(ka, kb);
    assert_eq!(ka.len(), kc.len());
    assert_ne!(ka, kc);
    assert!(d.prepare(&Document::new("empty", "")).unwrap().band_keys().unwrap().is_empty());
}

#[test]
fn damaged_blobs_and_other_configurations_are_refused() {
    let d = Deduplicator::new().unwrap();
    let bytes = d.prepare(&Document::new("a", RATE)).unwrap().to_bytes().unwrap();
    let e = Prepared::from_bytes(&bytes[..bytes.len() / 2]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Corrupted, "{}", e.message());
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    assert_eq!(Prepared::from_bytes(&flipped).unwrap_err().code(), ErrorCode::Corrupted);
    assert_eq!(Prepared::from_bytes(b"").unwrap_err().code(), ErrorCode::Corrupted);

    // Prepared under another configuration: the whole batch is refused, nothing stored.
    let lexical =
        Deduplicator::with_options(&Options { embedding_mode: Some(EmbeddingMode::Disabled), ..Default::default() })
            .unwrap();
    let ok = d.prepare(&Document::new("ok", FOOTBALL)).unwrap();
    let foreign = lexical.prepare(&Document::new("foreign", RATE)).unwrap();
    let e = d.add_prepared_batch(&[&ok, &foreign]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Incompatible, "{}", e.message());
    assert_eq!(d.stats().unwrap().documents, 0);

    // A duplicate id is an entry's error; the others are added.
    let copy_text = rate_copy();
    let first = d.prepare(&Document::new("x", RATE)).unwrap();
    let again = d.prepare(&Document::new("x", &copy_text)).unwrap();
    let r = d.add_prepared_batch(&[&first, &again, &ok]).unwrap();
    assert!(r[0].is_ok() && r[2].is_ok());
    assert_eq!(r[1].as_ref().unwrap_err().code(), ErrorCode::Duplicate);
    assert_eq!(d.stats().unwrap().documents, 2);
    assert!(d.add_prepared_batch(&[]).unwrap().is_empty());
}

#[test]
fn prepared_documents_cross_threads() {
    let d = Deduplicator::new().unwrap();
    let copy_text = rate_copy();
    let prepared: Vec<Prepared> = std::thread::scope(|s| {
        let a = s.spawn(|| d.prepare(&Document::new("a", RATE)).unwrap());
        let b = s.spawn(|| d.prepare(&Document::new("b", &copy_text)).unwrap());
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    let r = d.add_prepared_batch(&prepared.iter().collect::<Vec<_>>()).unwrap();
    assert!(r[0].as_ref().unwrap().new_story);
    assert_eq!(r[1].as_ref().unwrap().cluster_id, r[0].as_ref().unwrap().cluster_id);
}
