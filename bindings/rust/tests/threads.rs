//! One Deduplicator shared by threads: writers and readers at once, per-thread error messages,
//! and the Send/Sync the C ABI's thread contract allows.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use common::random_text;
use retold::{Deduplicator, Document, ErrorCode, Options, Signature, Stories};

const WRITERS: u64 = 3;
const READERS: u64 = 3;
const PER_WRITER: u64 = 40;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn handles_are_send_and_sync() {
    assert_send_sync::<Deduplicator>();
    assert_send_sync::<Signature>();
    assert_send_sync::<Stories>();
    assert_send_sync::<retold::Error>();
}

#[test]
fn concurrent_adds_and_queries() {
    let d = Deduplicator::with_options(&Options { threads: Some(2), ..Default::default() }).unwrap();
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let d = &d;
                s.spawn(move || {
                    for i in 0..PER_WRITER {
                        let t = random_text(w, i);
                        let first =
                            d.add(&Document::new(&format!("orig-{}-{}", w, i), &t).timestamp(i as i64)).unwrap();
                        let copy_text = format!("{} with a closing remark", t);
                        let copy_id = format!("copy-{}-{}", w, i);
                        let copy = if i % 4 == 0 {
                            d.add_batch(&[Document::new(&copy_id, &copy_text)]).unwrap().remove(0).unwrap()
                        } else {
                            d.add(&Document::new(&copy_id, &copy_text).timestamp(i as i64)).unwrap()
                        };
                        assert!(copy.cluster_id == first.cluster_id && !copy.new_story, "{}: {:?}", copy_id, copy);
                    }
                })
            })
            .collect();
        let readers: Vec<_> = (0..READERS)
            .map(|k| {
                let (d, done) = (&d, &done);
                s.spawn(move || {
                    let mut rounds = 0u64;
                    let mut last = 0;
                    while !done.load(Ordering::SeqCst) || rounds < 5 {
                        let (w, i) = (rounds % WRITERS, (rounds * 7 + k) % PER_WRITER);
                        let t = random_text(w, i);
                        let id = format!("orig-{}-{}", w, i);
                        d.query(&t).unwrap();
                        if d.contains(&id).unwrap() {
                            assert!(
                                d.query(&t).unwrap().iter().any(|m| m.id == id),
                                "{} not found by its own text",
                                id
                            );
                            d.cluster_of(&id).unwrap();
                            d.representative_of(&id).unwrap();
                        }
                        let n = d.stats().unwrap().documents;
                        assert!(n >= last);
                        last = n;
                        if rounds % 10 == 0 {
                            let stories = d.clusters(2).unwrap();
                            assert!(stories.iter().all(|s| s.len() >= 2));
                            d.compute_signature(&t).unwrap();
                            assert_eq!(d.compute_embedding(&t).unwrap().len(), 256);
                        }
                        rounds += 1;
                    }
                    rounds
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        for r in readers {
            assert!(r.join().unwrap() >= 5);
        }
    });
    let st = d.stats().unwrap();
    assert_eq!(st.documents, 2 * WRITERS * PER_WRITER);
    assert_eq!((st.clusters, st.multi_member_clusters), (WRITERS * PER_WRITER, WRITERS * PER_WRITER));
    for w in 0..WRITERS {
        for i in 0..PER_WRITER {
            assert_eq!(
                d.cluster_of(&format!("orig-{}-{}", w, i)).unwrap(),
                d.cluster_of(&format!("copy-{}-{}", w, i)).unwrap()
            );
        }
    }
}

#[test]
fn a_deduplicator_moves_into_threads_through_an_arc() {
    let d = Arc::new(Deduplicator::new().unwrap());
    let handles: Vec<_> = (0..4u64)
        .map(|k| {
            let d = Arc::clone(&d);
            thread::spawn(move || {
                for i in 0..10 {
                    d.add(&Document::new(&format!("t{}-{}", k, i), &random_text(10 + k, i))).unwrap();
                }
                d.compute_signature(random_text(10 + k, 0)).unwrap() // a Signature sent back
            })
        })
        .collect();
    let sigs: Vec<Signature> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(d.stats().unwrap().documents, 40);
    assert_eq!(sigs[0].jaccard(&d.compute_signature(random_text(10, 0)).unwrap()).unwrap(), 1.0);
    // the last owner drops it (here, after every thread is done)
    assert_eq!(Arc::strong_count(&d), 1);
}

#[test]
fn errors_are_per_thread() {
    // every thread fails at once; each error must carry its own thread's message
    let d = Deduplicator::new().unwrap();
    let barrier = Barrier::new(8);
    thread::scope(|s| {
        for k in 0..8 {
            let (d, barrier) = (&d, &barrier);
            s.spawn(move || {
                barrier.wait();
                for _ in 0..200 {
                    let e = d.remove(&format!("ghost-{}", k)).unwrap_err();
                    assert_eq!(e.code(), ErrorCode::NotFound);
                    assert!(e.message().contains(&format!("ghost-{}'", k)), "thread {} got {}", k, e);
                }
            });
        }
    });
}

#[test]
fn representative_of_is_consistent_under_concurrent_removes() {
    // the representative of a story is removed and re-added in a loop; a reader asking for the
    // representative of another member must always get an answer, never a spurious NotFound
    let d = Deduplicator::with_options(&Options { source_priority: Some(vec!["Wire".into()]), ..Default::default() })
        .unwrap();
    let base = random_text(77, 1);
    let copy = format!("{} and a closing remark", base);
    d.add(&Document::new("leader", &base).timestamp(100)).unwrap();
    d.add(&Document::new("member", &copy).timestamp(200)).unwrap();
    let wire_copy = format!("{} with a wire credit", base);
    d.add(&Document::new("wire", &wire_copy).timestamp(50).source("Wire")).unwrap();
    assert_eq!(d.representative_of("member").unwrap(), "wire");
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let (d, done) = (&d, &done);
        s.spawn(move || {
            for _ in 0..300 {
                d.remove("wire").unwrap();
                d.add(&Document::new("wire", &wire_copy).timestamp(50).source("Wire")).unwrap();
            }
            done.store(true, Ordering::SeqCst);
        });
        for _ in 0..2 {
            s.spawn(move || {
                let mut answers = 0;
                while !done.load(Ordering::SeqCst) {
                    let r = d.representative_of("member").unwrap_or_else(|e| panic!("spurious error: {}", e));
                    assert!(r == "wire" || r == "leader" || r == "member", "{}", r);
                    answers += 1;
                }
                assert!(answers > 0);
            });
        }
    });
}
