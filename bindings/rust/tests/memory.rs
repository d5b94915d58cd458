//! Memory does not grow over many create/add/free cycles or many result-returning calls.
//! Resident set size from /proc (Linux); the bounds are far below what a leak of one
//! deduplicator, one result list or one signature per cycle would add (the measured growth is
//! in the failure message). One test at a time in this binary: RSS is per process.
mod common;

use std::sync::Mutex;

use common::{rate_copy, rss_bytes, FOOTBALL, RATE};
use retold::{Deduplicator, Document, Options, QueryOptions};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn cycle(i: usize) {
    let d = Deduplicator::new().unwrap();
    let copy = rate_copy();
    d.add(&Document::new(&format!("a{}", i), RATE).timestamp(1).source("Wire")).unwrap();
    d.add(&Document::new(&format!("b{}", i), &copy).timestamp(2)).unwrap();
    d.add_batch(&[Document::new(&format!("c{}", i), FOOTBALL)]).unwrap();
    d.query(RATE).unwrap();
    d.clusters(0).unwrap();
}

#[test]
fn create_add_free_cycles_do_not_grow() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for i in 0..200 {
        cycle(i); // warm up allocator caches
    }
    let before = rss_bytes();
    for i in 0..2000 {
        cycle(i);
    }
    let grown = rss_bytes() as i64 - before as i64;
    // one leaked deduplicator holds several MiB (DF table, indexes): 2000 would be gigabytes
    assert!(grown < 8 << 20, "RSS grew by {:.1} MiB over 2000 cycles", grown as f64 / (1 << 20) as f64);
}

#[test]
fn result_lists_and_handles_are_freed() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let d = Deduplicator::with_options(&Options { keep_text: Some(true), ..Default::default() }).unwrap();
    let copy = rate_copy();
    d.add(&Document::new("a", RATE)).unwrap();
    d.add(&Document::new("b", &copy)).unwrap();
    d.add(&Document::new("c", FOOTBALL)).unwrap();
    let all = QueryOptions { include_rejected: true, ..Default::default() };
    let calls = || {
        d.query_with(RATE, &all).unwrap();
        d.clusters(0).unwrap();
        d.clusters(0).unwrap().into_iter().count();
        d.cluster(d.cluster_of("a").unwrap()).unwrap();
        d.explain("a", "b").unwrap();
        d.compute_signature(RATE).unwrap().to_bytes().unwrap();
        d.compute_embedding(RATE).unwrap();
        d.representative_of("b").unwrap();
        d.cluster_of("missing").unwrap_err();
        d.add_batch(&[Document::new("a", RATE)]).unwrap(); // a refused duplicate: an error string
    };
    for _ in 0..1000 {
        calls();
    }
    let before = rss_bytes();
    for _ in 0..20_000 {
        calls();
    }
    let grown = rss_bytes() as i64 - before as i64;
    // a leak of even 100 bytes per call set would show as 2 MB
    assert!(grown < 2 << 20, "RSS grew by {:.2} MiB over 20000 call sets", grown as f64 / (1 << 20) as f64);
}
