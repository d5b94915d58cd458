use retold::{Deduplicator, Document, ErrorCode, Options, QueryOptions};

fn main() -> retold::Result<()> {
    let wire = "PARIS, March 5 (Reuters) - France has invited the foreign and defense ministers of \
                Ukraine's main allies and the NATO secretary general to a video call on Thursday to \
                show a united front and develop concrete proposals to strengthen support for Kyiv.";
    let retelling = "France has invited the foreign and defense ministers of Ukraine's main allies and \
                     the NATO secretary general to a video call on Thursday to show a united front and \
                     develop concrete proposals to strengthen support for Kyiv, UNN reports.";

    let d = Deduplicator::with_options(&Options {
        source_priority: Some(vec!["Reuters".into(), "AP".into(), "AFP".into()]),
        ..Default::default()
    })?;
    d.add(&Document::new("reuters-1", wire).timestamp(1_709_629_500).source("Reuters"))?;
    let r = d.add(&Document::new("unn-1", retelling).timestamp(1_709_638_800).source("UNN"))?;
    let scores = r.leader_scores.expect("it joined a story");
    println!("{} {} {}", r.new_story, r.cluster_id, scores.decision); // false 1 model
    assert!(!r.new_story && r.cluster_id == 1);
    assert_eq!(d.representative_of("unn-1")?, "reuters-1");

    // a query stores nothing; with include_rejected it also lists what the decision rejected
    let query = "France invites the defense ministers of Ukraine's main allies to a video call";
    let all = QueryOptions { top_k: 5, include_rejected: true, ..Default::default() };
    for m in d.query_with(query, &all)? {
        println!("{} {} {:.2} {}", m.id, m.cluster_id, m.scores.score, m.scores.decision);
        // reuters-1 1 <score> rejected, then unn-1 (a short paraphrase scores low)
    }

    // a batch: one bad document does not stop the others
    let results = d.add_batch(&[
        Document::new("ap-1", "Bayern beat Lazio 3-0.").source("AP"),
        Document::new("unn-1", "a duplicate id"),
    ])?;
    assert!(results[0].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().code(), ErrorCode::Duplicate);

    for story in &d.clusters(2)? {
        println!("{} {:?}", story.representative(), story.member_ids()); // reuters-1 ["reuters-1", "unn-1"]
    }

    let state = std::env::temp_dir().join(format!("retold-first-story-{}", std::process::id()));
    d.save(&state)?;
    let d2 = Deduplicator::load(&state)?;
    assert_eq!(d2.cluster_of("unn-1")?, 1);
    std::fs::remove_dir_all(&state).ok();
    Ok(())
}
