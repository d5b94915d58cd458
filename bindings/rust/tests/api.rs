//! The safe API end to end: adding, querying, stories and their iterators, removal, explain,
//! options, signatures, embeddings, external vectors.
mod common;

use common::{rate_copy, FOOTBALL, RATE, WEATHER};
use retold::{Decision, Deduplicator, Document, EmbeddingMode, ErrorCode, Options, QueryOptions, Signature};

fn wire_dedup() -> Deduplicator {
    Deduplicator::with_options(&Options { source_priority: Some(vec!["Wire".into()]), ..Default::default() }).unwrap()
}

#[test]
fn versions() {
    let v = retold::library_version();
    let parts: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
    assert_eq!(parts.len(), 3, "{}", v);
    // SAFETY: no arguments.
    let number = unsafe { retold::sys::retold_version() };
    assert_eq!(number, (parts[0] << 16) | (parts[1] << 8) | parts[2]);
}

#[test]
fn add_joins_copies_and_opens_new_stories() {
    let d = wire_dedup();
    let copy_text = rate_copy();
    let first = d.add(&Document::new("blog", RATE).timestamp(1000).source("Blog")).unwrap();
    assert!(first.new_story && first.cluster_id > 0 && first.leader_scores.is_none());
    let copy = d
        .add(&Document::new("wire", &copy_text).timestamp(900).source("Wire").title("Examplestan raises rates"))
        .unwrap();
    assert!(!copy.new_story && copy.cluster_id == first.cluster_id && copy.candidates >= 1);
    let s = copy.leader_scores.unwrap();
    assert!(s.accepted() && s.decision != Decision::Rejected);
    assert!(s.jaccard > 0.5 && s.jaccard <= 1.0, "{:?}", s);
    let other = d.add(&Document::new("football", FOOTBALL).timestamp(2000)).unwrap();
    assert!(other.new_story && other.cluster_id != first.cluster_id);

    assert!(d.contains("blog").unwrap() && d.contains("wire").unwrap() && !d.contains("nobody").unwrap());
    assert_eq!(d.cluster_of("wire").unwrap(), first.cluster_id);
    // the earlier report represents the story the blog opened
    assert_eq!(d.representative_of("blog").unwrap(), "wire");
    let c = d.cluster(first.cluster_id).unwrap();
    assert_eq!((c.id, c.leader.as_str(), c.representative.as_str()), (first.cluster_id, "blog", "wire"));
    assert_eq!(c.member_ids(), ["blog", "wire"]);
    assert_eq!((c.members[0].source.as_str(), c.members[0].timestamp), ("Blog", 1000));
    assert_eq!(c.members[0].scores.score, 1.0);
    assert_eq!((c.members[1].source.as_str(), c.members[1].timestamp), ("Wire", 900));
    assert_eq!((c.members[0].title.as_str(), c.members[1].title.as_str()), ("", "Examplestan raises rates"));
    assert!(RATE.starts_with(&c.members[0].snippet) && !c.members[0].snippet.is_empty());
    let no_snippets = Deduplicator::with_options(&Options { snippet_bytes: Some(0), ..Default::default() }).unwrap();
    no_snippets.add(&Document::new("x", RATE)).unwrap();
    assert_eq!(no_snippets.cluster(no_snippets.cluster_of("x").unwrap()).unwrap().members[0].snippet, "");

    let st = d.stats().unwrap();
    assert_eq!((st.documents, st.clusters, st.multi_member_clusters, st.documents_added_total), (3, 2, 1, 3));
    assert!(st.memory_bytes > 0);
}

#[test]
fn stories_iterate_borrowed_and_owned() {
    let d = wire_dedup();
    d.add(&Document::new("blog", RATE).timestamp(1000).source("Blog")).unwrap();
    d.add(&Document::new("wire", &rate_copy()).timestamp(900).source("Wire")).unwrap();
    d.add(&Document::new("football", FOOTBALL).timestamp(2000)).unwrap();

    let stories = d.clusters(0).unwrap();
    assert_eq!(stories.len(), 2);
    let ids: Vec<u64> = stories.iter().map(|s| s.id()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "stories come by increasing id");
    assert_eq!(stories.iter().len(), 2); // ExactSizeIterator
    assert_eq!(stories.iter().map(|s| s.len()).sum::<usize>(), 3);
    let football = stories.iter().find(|s| s.leader() == "football").unwrap();
    let member = football.members().next().unwrap();
    assert_eq!((member.id(), member.source(), member.timestamp()), ("football", "", 2000));
    assert_eq!(member.title(), "");
    assert!(
        member.snippet().starts_with("Riverside United beat") && member.snippet().len() <= 240,
        "{}",
        member.snippet()
    );
    assert_eq!(stories.iter().next_back().unwrap().id(), *ids.last().unwrap());
    // `for` over a reference gives views; the list outlives adds that come after it
    d.add(&Document::new("weather", WEATHER)).unwrap();
    let mut members = 0;
    for story in &stories {
        members += story.members().len();
        assert_eq!(story.to_story().member_ids(), story.member_ids());
    }
    assert_eq!(members, 3);
    assert_eq!(stories.get(0).unwrap().member_ids(), ["blog", "wire"]);
    assert!(stories.get(2).is_none());

    // by value: owned stories, the list freed at the end
    let owned: Vec<retold::Story> = d.clusters(2).unwrap().into_iter().collect();
    assert_eq!(owned.len(), 1);
    assert_eq!(owned[0].member_ids(), ["blog", "wire"]);
    assert_eq!(owned[0], d.cluster(owned[0].id).unwrap());
    assert_eq!(d.clusters(2).unwrap().into_iter().len(), 1);
    assert!(d.clusters(5).unwrap().is_empty());
}

#[test]
fn query_ranks_and_stores_nothing() {
    let d = wire_dedup();
    d.add(&Document::new("rate", RATE)).unwrap();
    d.add(&Document::new("football", FOOTBALL)).unwrap();
    d.add(&Document::new("weather", WEATHER)).unwrap();
    let copy = rate_copy();
    let matches = d.query(&copy).unwrap();
    assert_eq!(matches.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["rate"]);
    assert!(matches[0].cluster_id == d.cluster_of("rate").unwrap() && matches[0].scores.accepted());
    assert_eq!(d.stats().unwrap().documents, 3);

    let everything = d.query_with(&copy, &QueryOptions { include_rejected: true, ..Default::default() }).unwrap();
    assert!(everything.windows(2).all(|w| w[0].scores.score >= w[1].scores.score));
    assert!(d.query_with(&copy, &QueryOptions { top_k: 0, ..Default::default() }).unwrap().is_empty());
    let floor = d
        .query_with(&copy, &QueryOptions { include_rejected: true, min_score: Some(0.05), ..Default::default() })
        .unwrap();
    assert!(!floor.is_empty() && floor.iter().all(|m| m.scores.score >= 0.05));
    let e = d.query_with(&copy, &QueryOptions { min_score: Some(1.5), ..Default::default() }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert!(d.query("").unwrap().is_empty());
    assert_eq!(d.query(copy.as_bytes()).unwrap(), matches); // bytes work as well
}

#[test]
fn time_window_applies_to_adds_and_to_queries_with_a_timestamp() {
    let d = Deduplicator::with_options(&Options { time_window_seconds: Some(3600), ..Default::default() }).unwrap();
    let t0 = common::rfc3339_seconds("2024-03-05T09:00:00Z");
    d.add(&Document::new("rate", RATE).timestamp(t0)).unwrap();
    let near = QueryOptions { timestamp: Some(t0 + 1800), ..Default::default() };
    let far = QueryOptions { timestamp: Some(t0 + 86400), ..Default::default() };
    assert!(!d.query_with(rate_copy(), &near).unwrap().is_empty());
    assert!(d.query_with(rate_copy(), &far).unwrap().is_empty());
    assert!(d.add(&Document::new("late", &rate_copy()).timestamp(t0 + 2 * 86400)).unwrap().new_story);
}

#[test]
fn add_batch_equals_adding_one_by_one_and_reports_bad_documents() {
    let copy = rate_copy();
    let extra = format!("{} Extra time.", FOOTBALL);
    let texts = [("a", RATE), ("b", FOOTBALL), ("c", copy.as_str()), ("d", WEATHER), ("e", extra.as_str())];
    let opts = Options { threads: Some(2), ..Default::default() };
    let one = Deduplicator::with_options(&opts).unwrap();
    let many = Deduplicator::with_options(&opts).unwrap();
    let singles: Vec<_> = texts.iter().map(|(i, t)| one.add(&Document::new(i, *t)).unwrap()).collect();
    let docs: Vec<Document> = texts.iter().map(|(i, t)| Document::new(i, *t)).collect();
    let batch: Vec<_> = many.add_batch(&docs).unwrap().into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(batch, singles);
    let ids = |d: &Deduplicator| -> Vec<Vec<String>> {
        d.clusters(0).unwrap().iter().map(|s| s.member_ids().iter().map(|m| m.to_string()).collect()).collect()
    };
    assert_eq!(ids(&one), ids(&many));

    let d = wire_dedup();
    let bad_utf8: &[u8] = b"broken \xff text";
    let results = d
        .add_batch(&[
            Document::new("doc", RATE).timestamp(5).source("Wire"),
            Document::new("copy", &copy).source("Blog").timestamp(6).title("Rates"),
            Document::new("bad-utf8", bad_utf8),
            Document::new("doc", WEATHER),     // duplicate
            Document::new("nul\0id", WEATHER), // refused before the library
            Document::new("ok-after", FOOTBALL),
            Document::new("copy", WEATHER), // duplicate, after the one never sent
        ])
        .unwrap();
    let ok: Vec<bool> = results.iter().map(|r| r.is_ok()).collect();
    assert_eq!(ok, [true, true, false, false, false, true, false]);
    assert_eq!(results[1].as_ref().unwrap().cluster_id, results[0].as_ref().unwrap().cluster_id);
    let e = results[2].as_ref().unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidUtf8);
    assert!(e.message().contains("docs[2]") && e.message().contains("bad-utf8"), "{}", e);
    let e = results[3].as_ref().unwrap_err();
    assert_eq!(e.code(), ErrorCode::Duplicate);
    assert!(e.message().contains("docs[3]") && e.message().contains("doc"), "{}", e);
    let e = results[4].as_ref().unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert!(e.message().contains("docs[4]") && e.message().contains("NUL"), "{}", e);
    // the library numbered the last one docs[5] (the NUL one was never sent): renumbered
    let e = results[6].as_ref().unwrap_err();
    assert_eq!(e.code(), ErrorCode::Duplicate);
    assert!(e.message().starts_with("docs[6]: ") && !e.message().contains("docs[5]"), "{}", e);
    assert_eq!(d.stats().unwrap().documents, 3);
    assert!(d.add_batch(&[]).unwrap().is_empty());
}

#[test]
fn remove_and_evict() {
    let d = wire_dedup();
    d.add(&Document::new("old", RATE).timestamp(10)).unwrap();
    d.add(&Document::new("copy", &rate_copy()).timestamp(20)).unwrap();
    d.add(&Document::new("new", FOOTBALL).timestamp(30)).unwrap();
    let story = d.cluster_of("old").unwrap();
    d.remove("old").unwrap();
    assert!(!d.contains("old").unwrap());
    assert_eq!(d.cluster_of("copy").unwrap(), story); // the story keeps its id
    assert_eq!(d.remove("old").unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(d.evict_before(25).unwrap(), 1);
    assert_eq!(d.evict_before(25).unwrap(), 0);
    let stories = d.clusters(0).unwrap();
    let left: Vec<Vec<&str>> = stories.iter().map(|s| s.member_ids()).collect();
    assert_eq!(left, [["new"]]);
    let st = d.stats().unwrap();
    assert_eq!((st.documents, st.documents_removed_total, st.documents_added_total), (1, 2, 3));
}

#[test]
fn explain_with_and_without_text() {
    let d = Deduplicator::with_options(&Options { keep_text: Some(true), ..Default::default() }).unwrap();
    d.add(&Document::new("a", RATE)).unwrap();
    d.add(&Document::new("b", &rate_copy())).unwrap();
    d.add(&Document::new("c", FOOTBALL)).unwrap();
    let e = d.explain("a", "b").unwrap();
    assert!(e.scores.accepted() && !e.shared_terms.is_empty() && e.shared_passage.contains("examplestan"));
    assert!(!d.explain("a", "c").unwrap().scores.accepted());

    let plain = wire_dedup();
    plain.add(&Document::new("blog", RATE).timestamp(1000).source("Blog")).unwrap();
    plain.add(&Document::new("wire", &rate_copy()).timestamp(900).source("Wire")).unwrap();
    plain.add(&Document::new("football", FOOTBALL).timestamp(2000)).unwrap();
    let same = plain.explain("blog", "wire").unwrap();
    assert!(same.shared_terms.is_empty() && same.shared_passage.is_empty());
    let names: Vec<&str> = same.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(&names[..3], ["jaccard", "containment", "cosine"]);
    assert!(names.len() >= 10, "{:?}", names);
    assert!(same.probability > 0.5 && same.probability < 1.0, "{}", same.probability);
    assert!((same.features[0].value - same.scores.jaccard).abs() < 1e-9);
    let other = plain.explain("blog", "football").unwrap();
    assert!(other.probability < same.probability);
    let sum = |e: &retold::Explanation| e.features.iter().map(|f| f.contribution).sum::<f64>();
    assert!(sum(&other) < sum(&same));
}

#[test]
fn signatures() {
    let d = wire_dedup();
    let a = d.compute_signature(RATE).unwrap();
    let b = d.compute_signature(rate_copy()).unwrap();
    let c = d.compute_signature(FOOTBALL).unwrap();
    assert_eq!(a.len(), 128);
    assert_eq!(a.values().unwrap().len(), 128);
    let ab = a.jaccard(&b).unwrap();
    assert!(ab > 0.5 && ab <= 1.0 && a.jaccard(&c).unwrap() < 0.1 && a.jaccard(&a).unwrap() == 1.0);
    let raw = a.to_bytes().unwrap();
    assert_eq!(&raw[..4], b"RTSG");
    assert_eq!(raw.len(), 20 + 4 * 128);
    let back = Signature::from_bytes(&raw).unwrap();
    assert!(back == a && back.values().unwrap() == a.values().unwrap() && back != c);
    assert_eq!(back.jaccard(&a).unwrap(), 1.0);
}

#[test]
fn embeddings_and_vector_queries() {
    let d = wire_dedup();
    d.add(&Document::new("rate", RATE)).unwrap();
    d.add(&Document::new("football", FOOTBALL)).unwrap();
    let v = d.compute_embedding(RATE).unwrap();
    assert_eq!(v.len(), 256);
    let norm: f32 = v.iter().map(|x| x * x).sum();
    assert!((norm - 1.0).abs() < 1e-3, "{}", norm);
    let by_vector = d.query_vector(&v, &QueryOptions::default()).unwrap();
    assert_eq!(by_vector[0].id, "rate");
    assert!(by_vector[0].scores.cosine.unwrap() > 0.9);
    let lexical =
        Deduplicator::with_options(&Options { embedding_mode: Some(EmbeddingMode::Disabled), ..Default::default() })
            .unwrap();
    assert!(lexical.compute_embedding(RATE).unwrap().is_empty());
    assert_eq!(lexical.query_vector(&v, &QueryOptions::default()).unwrap_err().code(), ErrorCode::Incompatible);
}

#[test]
fn external_vectors() {
    let d = Deduplicator::with_options(&Options {
        embedding_mode: Some(EmbeddingMode::External),
        external_dimension: Some(4),
        ..Default::default()
    })
    .unwrap();
    d.add(&Document::new("v1", RATE).vector(&[1.0, 0.0, 0.0, 0.0])).unwrap();
    let joined = d.add(&Document::new("v2", FOOTBALL).vector(&[0.99, 0.05, 0.0, 0.0])).unwrap();
    assert!(!joined.new_story && joined.leader_scores.unwrap().decision == Decision::Cosine);
    assert!(d.add(&Document::new("v3", WEATHER).vector(&[0.0, 0.0, 1.0, 0.0])).unwrap().new_story);
    let ids: Vec<String> =
        d.query_vector(&[1.0, 0.0, 0.0, 0.0], &QueryOptions::default()).unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["v1", "v2"]);
    assert_eq!(d.add(&Document::new("missing", WEATHER)).unwrap_err().code(), ErrorCode::Incompatible);
    assert_eq!(
        d.add(&Document::new("short", WEATHER).vector(&[1.0, 0.0])).unwrap_err().code(),
        ErrorCode::Incompatible
    );
    assert!(d.compute_embedding(RATE).unwrap().is_empty());
}
