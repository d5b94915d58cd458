//! Plain result values: scores, matches, add results, statistics, explanations.

use retold_sys as sys;

use crate::strings::owned_string;

/// What decided a pair (`retold_decision`, pinned values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Decision {
    /// Not the same story.
    Rejected,
    /// Estimated Jaccard alone: a copy or a light edit.
    Jaccard,
    /// Threshold rule: embedding cosine alone, a retelling.
    Cosine,
    /// Threshold rule: the weighted combination.
    Combined,
    /// The learned match model's probability reached its threshold.
    Model,
    /// A value this binding does not know (a newer library).
    Unknown(i32),
}

impl Decision {
    pub(crate) fn from_raw(v: i32) -> Decision {
        match v {
            sys::RETOLD_DECISION_REJECTED => Decision::Rejected,
            sys::RETOLD_DECISION_JACCARD => Decision::Jaccard,
            sys::RETOLD_DECISION_COSINE => Decision::Cosine,
            sys::RETOLD_DECISION_COMBINED => Decision::Combined,
            sys::RETOLD_DECISION_MODEL => Decision::Model,
            other => Decision::Unknown(other),
        }
    }

    /// The lower-case name ("rejected", "jaccard", "cosine", "combined", "model"), as the
    /// Python binding and the CLI print it.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Rejected => "rejected",
            Decision::Jaccard => "jaccard",
            Decision::Cosine => "cosine",
            Decision::Combined => "combined",
            Decision::Model => "model",
            Decision::Unknown(_) => "unknown",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The scores of one pair of documents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// MinHash estimate of the Jaccard similarity of the shingle sets.
    pub jaccard: f64,
    /// Cosine of the embeddings (`None` when either document had none).
    pub cosine: Option<f64>,
    /// The ranking number in [0, 1]: the match model's probability or the threshold rule's score.
    pub score: f64,
    /// What decided the pair.
    pub decision: Decision,
}

impl Scores {
    pub(crate) fn from_raw(s: &sys::retold_scores) -> Scores {
        Scores {
            jaccard: s.jaccard,
            cosine: if s.has_cosine != 0 { Some(s.cosine) } else { None },
            score: s.score,
            decision: Decision::from_raw(s.decision),
        }
    }

    /// True unless the decision was [`Decision::Rejected`].
    pub fn accepted(&self) -> bool {
        self.decision != Decision::Rejected
    }
}

/// What adding one document did.
#[derive(Debug, Clone, PartialEq)]
pub struct AddResult {
    /// The story it joined or opened.
    pub cluster_id: u64,
    /// True when the document opened a story.
    pub new_story: bool,
    /// Candidates examined (both indexes, after the time window).
    pub candidates: u64,
    /// When it joined a story: the member that decided (the story's leader, or the member it
    /// copies).
    pub leader_id: Option<String>,
    /// When it joined a story: its scores against `leader_id`.
    pub leader_scores: Option<Scores>,
}

impl AddResult {
    /// # Safety
    /// `r.leader_id` is NULL or a live string (copied here).
    pub(crate) unsafe fn from_raw(r: &sys::retold_add_result) -> AddResult {
        let joined = r.has_leader != 0;
        AddResult {
            cluster_id: r.cluster_id,
            new_story: r.new_story != 0,
            candidates: r.candidates,
            leader_id: if joined { Some(owned_string(r.leader_id)) } else { None },
            leader_scores: if joined { Some(Scores::from_raw(&r.leader_scores)) } else { None },
        }
    }
}

/// A stored document similar to a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub id: String,
    pub cluster_id: u64,
    pub scores: Scores,
}

/// One feature of a pair's evidence: its value and how far it moved the match model's log-odds.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// Stable name ("word_containment", ...; include/retold/verify.hpp: match_feature).
    pub name: String,
    pub value: f64,
    pub contribution: f64,
}

/// Why two stored documents match or not.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub scores: Scores,
    /// Distinctive shared words (needs [`crate::Options::keep_text`]).
    pub shared_terms: Vec<String>,
    /// Longest shared run of words ("" without keep_text).
    pub shared_passage: String,
    /// The evidence, feature by feature, in model order.
    pub features: Vec<Feature>,
    /// The learned match model's probability that the two are one story.
    pub probability: f64,
}

/// Counters and per-stage timings for monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Stats {
    /// Stored now.
    pub documents: u64,
    /// Live stories.
    pub clusters: u64,
    /// Stories that found at least one retelling.
    pub multi_member_clusters: u64,
    /// Including removed and evicted ones.
    pub documents_added_total: u64,
    pub documents_removed_total: u64,
    /// Estimate of the state held in memory.
    pub memory_bytes: u64,
    /// Documents in the built-in embedder's frequencies.
    pub frequency_documents: u64,
    /// Wall-clock seconds inside add calls by stage, summed since created or loaded:
    /// normalize, shingle, sign, extract terms (parallel).
    pub add_features_seconds: f64,
    /// Built-in embedding (parallel).
    pub add_embed_seconds: f64,
    /// LSH and vector index queries (parallel).
    pub add_candidates_seconds: f64,
    /// Scoring, leader clustering, storing (in input order).
    pub add_verify_cluster_seconds: f64,
    /// Adding vectors to the vector index, IVF (re)training.
    pub add_index_add_seconds: f64,
}

impl Stats {
    pub(crate) fn from_raw(s: &sys::retold_stats) -> Stats {
        Stats {
            documents: s.documents,
            clusters: s.clusters,
            multi_member_clusters: s.multi_member_clusters,
            documents_added_total: s.documents_added_total,
            documents_removed_total: s.documents_removed_total,
            memory_bytes: s.memory_bytes,
            frequency_documents: s.frequency_documents,
            add_features_seconds: s.add_features_seconds,
            add_embed_seconds: s.add_embed_seconds,
            add_candidates_seconds: s.add_candidates_seconds,
            add_verify_cluster_seconds: s.add_verify_cluster_seconds,
            add_index_add_seconds: s.add_index_add_seconds,
        }
    }
}

/// Parameters of [`crate::Deduplicator::query_with`]; `QueryOptions::default()` is what
/// [`crate::Deduplicator::query`] uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryOptions {
    /// At most this many matches, best first (default 10).
    pub top_k: u32,
    /// Also return candidates the decision rejected.
    pub include_rejected: bool,
    /// Apply the configured time window around this timestamp (seconds since the epoch).
    pub timestamp: Option<i64>,
    /// Only matches with `scores.score >= min_score`; with `include_rejected`, your own threshold.
    pub min_score: Option<f64>,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions { top_k: 10, include_rejected: false, timestamp: None, min_score: None }
    }
}

impl QueryOptions {
    pub(crate) fn to_raw(self) -> sys::retold_query_options {
        sys::retold_query_options {
            struct_size: std::mem::size_of::<sys::retold_query_options>() as u32,
            top_k: self.top_k,
            include_rejected: self.include_rejected as u32,
            has_timestamp: self.timestamp.is_some() as u32,
            timestamp: self.timestamp.unwrap_or(0),
            min_score: self.min_score.unwrap_or(0.0),
        }
    }
}
