//! The seed corpus clusters the same through Rust (-> C ABI -> C++) as through the C++ API
//! directly (tests/c/seed_clusters_cpp of a CMake build, named by $RETOLD_SEED_TOOL), and as
//! seeds/expected_clusters.json says.
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::env;
use std::process::Command;

use common::{golden, parse_json, seed_corpus, Json};
use retold::{Deduplicator, Document, EmbeddingMode, Options};

fn options(mode: &str, golden: &Json) -> Options {
    let mut o =
        Options { source_priority: Some(golden.get("source_priority").unwrap().strings()), ..Default::default() };
    match mode {
        "hybrid" => {}
        "lexical" => {
            o.embedding_mode = Some(EmbeddingMode::Disabled);
            o.jaccard_threshold = Some(0.25);
            o.lsh_threshold = Some(0.2);
        }
        other => panic!("unknown mode {}", other),
    }
    o
}

fn cluster_corpus(mode: &str, batch: bool) -> Deduplicator {
    let g = golden();
    let d = Deduplicator::with_options(&options(mode, &g)).unwrap();
    let corpus = seed_corpus();
    let docs: Vec<Document> = corpus
        .iter()
        .map(|s| {
            let doc = Document::new(&s.id, &s.text).timestamp(s.timestamp).source(&s.source);
            match &s.title {
                Some(t) => doc.title(t),
                None => doc,
            }
        })
        .collect();
    if batch {
        for (i, r) in d.add_batch(&docs).unwrap().into_iter().enumerate() {
            assert!(r.is_ok(), "document {} refused: {:?}", i, r);
        }
    } else {
        for doc in &docs {
            d.add(doc).unwrap();
        }
    }
    d
}

/// (id, leader, representative, members) of every story, as the C++ tool prints them.
type Plain = Vec<(u64, String, String, Vec<String>)>;

fn plain(d: &Deduplicator) -> Plain {
    d.clusters(0)
        .unwrap()
        .iter()
        .map(|s| {
            (
                s.id(),
                s.leader().to_string(),
                s.representative().to_string(),
                s.member_ids().iter().map(|m| m.to_string()).collect(),
            )
        })
        .collect()
}

fn cpp_stories(mode: &str) -> Plain {
    let tool = env::var("RETOLD_SEED_TOOL").expect(
        "RETOLD_SEED_TOOL is not set: run bindings/rust/run_tests.sh BUILD_DIR (it names BUILD_DIR/tests/c/seed_clusters_cpp)",
    );
    let out = Command::new(&tool)
        .arg(mode)
        .arg(common::seeds_dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({})", tool, e));
    assert!(out.status.success(), "{} failed: {}", tool, String::from_utf8_lossy(&out.stderr));
    parse_json(&String::from_utf8(out.stdout).unwrap())
        .get("stories")
        .unwrap()
        .array()
        .iter()
        .map(|s| {
            (
                s.get("id").unwrap().number() as u64,
                s.get("leader").unwrap().str().to_string(),
                s.get("representative").unwrap().str().to_string(),
                s.get("members").unwrap().strings(),
            )
        })
        .collect()
}

#[test]
fn hybrid_clusters_like_cpp_one_by_one() {
    assert_eq!(plain(&cluster_corpus("hybrid", false)), cpp_stories("hybrid"));
}

#[test]
fn hybrid_clusters_like_cpp_in_a_batch() {
    assert_eq!(plain(&cluster_corpus("hybrid", true)), cpp_stories("hybrid"));
}

#[test]
fn lexical_clusters_like_cpp_one_by_one() {
    assert_eq!(plain(&cluster_corpus("lexical", false)), cpp_stories("lexical"));
}

#[test]
fn lexical_clusters_like_cpp_in_a_batch() {
    assert_eq!(plain(&cluster_corpus("lexical", true)), cpp_stories("lexical"));
}

/// The rule of the C++ and Python suites: every golden story found whole and none merged,
/// representatives as golden; a heavy paraphrase is alone with MinHash only, and alone or in
/// its story in hybrid mode.
fn check_golden(mode: &str) {
    let g = golden();
    let d = cluster_corpus(mode, false);
    assert_eq!(d.stats().unwrap().documents as usize, seed_corpus().len());
    let mut seen: BTreeMap<u64, String> = BTreeMap::new();
    let mut paraphrases_found = 0;
    for story in g.get("stories").unwrap().array() {
        let name = story.get("name").unwrap().str();
        let paraphrases: BTreeSet<String> =
            story.get("paraphrase_members").map(|p| p.strings().into_iter().collect()).unwrap_or_default();
        let mut ids = BTreeSet::new();
        for m in story.get("members").unwrap().strings() {
            let c = d.cluster(d.cluster_of(&m).unwrap()).unwrap();
            if paraphrases.contains(&m) {
                if mode == "lexical" {
                    assert_eq!(c.len(), 1, "{} found by MinHash alone", m);
                    continue;
                }
                if c.len() == 1 {
                    continue;
                }
                paraphrases_found += 1;
            }
            ids.insert(c.id);
        }
        assert_eq!(ids.len(), 1, "story {} split into {:?}", name, ids);
        let cid = *ids.iter().next().unwrap();
        assert!(!seen.contains_key(&cid), "stories {} and {} merged", name, seen[&cid]);
        seen.insert(cid, name.to_string());
        assert_eq!(d.cluster(cid).unwrap().representative, story.get("representative").unwrap().str(), "{}", name);
    }
    assert_eq!(seen.len(), g.get("stories").unwrap().array().len());
    if mode == "lexical" {
        assert_eq!(paraphrases_found, 0);
    }
}

#[test]
fn hybrid_clusters_as_the_golden_file_says() {
    check_golden("hybrid");
}

#[test]
fn lexical_clusters_as_the_golden_file_says() {
    check_golden("lexical");
}

#[test]
fn the_json_reader_and_timestamps_are_right() {
    // guards the helpers the comparisons rest on
    let j = parse_json(r#"{"a": [1, -2.5e1, "x\"\u00e9\ud83d\ude00"], "b": {"c": null, "d": true}}"#);
    assert_eq!(j.get("a").unwrap().array()[1].number(), -25.0);
    assert_eq!(j.get("a").unwrap().array()[2].str(), "x\"é😀");
    assert_eq!(common::rfc3339_seconds("1970-01-01T00:00:00Z"), 0);
    assert_eq!(common::rfc3339_seconds("2024-03-05T09:05:00Z"), 1_709_629_500);
    assert_eq!(common::rfc3339_seconds("2024-03-05T11:05:00+02:00"), 1_709_629_500);
}
