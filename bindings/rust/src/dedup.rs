//! [`Deduplicator`]: owns a `retold_dedup` handle and wraps every call of the C ABI on it.

use std::ffi::CString;
use std::mem::size_of;
use std::os::raw::c_char;
use std::path::Path;
use std::ptr::{self, NonNull};

use retold_sys as sys;

use crate::document::{Document, RawDocument};
use crate::error::{check, Error, ErrorCode, Result};
use crate::options::{default_raw, Options};
use crate::results::{AddResult, Explanation, Feature, Match, QueryOptions, Scores, Stats};
use crate::signature::Signature;
use crate::stories::{Stories, Story};
use crate::strings::{c_path, c_string, owned_string, with_c_str};

/// Finds retellings online and keeps them as stories (`retold::deduplicator` through the C ABI).
///
/// Owns its native handle, released on drop. Thread safety, as retold.h documents it: one
/// `Deduplicator` may be shared by any number of threads (`Send + Sync`; put it in an `Arc` or
/// use scoped threads). Every method takes `&self`: queries, lookups, statistics and saves run
/// concurrently; adds, removals and evictions serialize inside the library. Dropping needs sole
/// ownership, so it never races a call, which is the one rule retold.h sets for
/// `retold_dedup_free`.
pub struct Deduplicator {
    raw: NonNull<sys::retold_dedup>,
    /// Floats of the built-in embedding (0 without one): structural, asked once.
    embedding_dim: usize,
}

// SAFETY: retold.h: "A retold_dedup may be used by any number of threads at once" (the library
// locks); the only call that must not race, retold_dedup_free, runs in Drop with `&mut self`.
unsafe impl Send for Deduplicator {}
unsafe impl Sync for Deduplicator {}

/// An add result for the library to fill (struct_size set).
pub(crate) fn empty_add_result() -> sys::retold_add_result {
    sys::retold_add_result {
        struct_size: size_of::<sys::retold_add_result>() as u32,
        status: 0,
        new_story: 0,
        has_leader: 0,
        cluster_id: 0,
        candidates: 0,
        leader_scores: sys::retold_scores::default(),
        leader_id: ptr::null(),
        error: ptr::null(),
    }
}

/// A match list for the library to fill (sizes set), as RETOLD_MATCH_LIST_INIT.
pub(crate) fn empty_match_list() -> sys::retold_match_list {
    sys::retold_match_list {
        struct_size: size_of::<sys::retold_match_list>() as u32,
        item_size: size_of::<sys::retold_match>() as u32,
        items: ptr::null_mut(),
        count: 0,
        internal_: ptr::null_mut(),
    }
}

fn text_len(text: &[u8]) -> u64 {
    text.len() as u64
}

/// The library names a batch's document "docs[k]", k counting the documents it was given; the
/// binding leaves out those it refuses itself, so the first "docs[k]" becomes the caller's index.
fn renumber(message: String, k: usize, i: usize) -> String {
    if k == i {
        return message;
    }
    message.replacen(&format!("docs[{}]", k), &format!("docs[{}]", i), 1)
}

/// One entry of a batch's results as the caller sees it: the library's k-th document is the
/// caller's i-th.
///
/// # Safety
/// `r` was filled by the last add call of this thread (its strings are per-thread library
/// strings valid until this thread's next add): they are copied here.
pub(crate) unsafe fn batch_result(r: &sys::retold_add_result, k: usize, i: usize) -> Result<AddResult> {
    if r.status == sys::RETOLD_OK {
        Ok(AddResult::from_raw(r))
    } else {
        let msg = owned_string(r.error);
        let msg = if msg.is_empty() { ErrorCode::from_raw(r.status).name().to_string() } else { msg };
        Err(Error::from_raw(r.status, renumber(msg, k, i)))
    }
}

impl Deduplicator {
    /// An empty deduplicator with the library's default options.
    pub fn new() -> Result<Deduplicator> {
        Deduplicator::with_options(&Options::default())
    }

    /// An empty deduplicator. [`ErrorCode::InvalidArgument`] names an option out of range.
    pub fn with_options(options: &Options) -> Result<Deduplicator> {
        let o = options.to_raw()?;
        let mut out = ptr::null_mut();
        // SAFETY: `o` and the strings it points to live for the call; `out` receives a new handle.
        check(unsafe { sys::retold_dedup_new(&mut out, &o.raw) })?;
        Deduplicator::from_raw(out)
    }

    /// Loads a state written by [`Deduplicator::save`], keeping every saved option.
    /// [`ErrorCode::NotFound`] when `dir` holds no state, [`ErrorCode::Corrupted`] for a damaged one.
    pub fn load(dir: impl AsRef<Path>) -> Result<Deduplicator> {
        let p = c_path(dir.as_ref())?;
        let mut out = ptr::null_mut();
        // SAFETY: `p` lives for the call; no override fields, so NULL overrides.
        check(unsafe { sys::retold_dedup_load(&mut out, p.as_ptr(), ptr::null(), 0) })?;
        Deduplicator::from_raw(out)
    }

    /// Loads a state with runtime options changed: the runtime fields set in `overrides` (and
    /// the match fields of its preset) replace the saved ones; every field left `None` keeps its
    /// SAVED value. A structural field may be given only with its saved value
    /// ([`ErrorCode::Incompatible`] names it otherwise).
    pub fn load_with(dir: impl AsRef<Path>, overrides: &Options) -> Result<Deduplicator> {
        let p = c_path(dir.as_ref())?;
        let o = overrides.to_raw()?;
        let mut out = ptr::null_mut();
        // SAFETY: as in `load`, with `o` alive for the call.
        check(unsafe { sys::retold_dedup_load(&mut out, p.as_ptr(), &o.raw, o.runtime_bits) })?;
        let d = Deduplicator::from_raw(out)?; // freed on the error below
        overrides.check_structural(&d.raw_options()?)?;
        Ok(d)
    }

    fn from_raw(raw: *mut sys::retold_dedup) -> Result<Deduplicator> {
        let raw = NonNull::new(raw).ok_or_else(|| Error::new(ErrorCode::Internal, "the library returned no handle"))?;
        let mut d = Deduplicator { raw, embedding_dim: 0 };
        let o = d.raw_options()?;
        if o.embedding_mode == sys::RETOLD_EMBEDDING_BUILTIN as u32 {
            d.embedding_dim = o.embedder_dimension as usize;
        }
        Ok(d)
    }

    pub(crate) fn handle(&self) -> *const sys::retold_dedup {
        self.raw.as_ptr()
    }

    /// The mutable handle the exclusive C calls take; the library serializes them itself.
    pub(crate) fn handle_mut(&self) -> *mut sys::retold_dedup {
        self.raw.as_ptr()
    }

    /// The raw handle for calls this crate does not wrap; still owned by `self` (do not free it).
    pub fn as_raw(&self) -> *mut sys::retold_dedup {
        self.raw.as_ptr()
    }

    // ------------------------------------------------------------------------ adding

    /// Adds one report and assigns it to a story. Nothing is stored on failure:
    /// [`ErrorCode::Duplicate`], [`ErrorCode::InvalidUtf8`], [`ErrorCode::TooLarge`],
    /// [`ErrorCode::InvalidArgument`] (missing, too long or NUL-holding id),
    /// [`ErrorCode::Incompatible`] (vector of the wrong dimension).
    pub fn add(&self, doc: &Document<'_>) -> Result<AddResult> {
        let d = RawDocument::new(doc)?;
        let mut r = empty_add_result();
        // SAFETY: `d` (and what it borrows) lives for the call; `r` is caller memory.
        check(unsafe { sys::retold_dedup_add(self.handle_mut(), &d.raw, &mut r) })?;
        // SAFETY: leader_id is this thread's library string until its next add: copied now.
        Ok(unsafe { AddResult::from_raw(&r) })
    }

    /// Adds reports in order, as [`Deduplicator::add`] on each would, computing their features
    /// on the library's worker threads. A bad document does not stop the others: its entry in
    /// the returned vector (one per document, in order) is its error, and nothing of it is
    /// stored. The outer error is for the call itself.
    pub fn add_batch(&self, docs: &[Document<'_>]) -> Result<Vec<Result<AddResult>>> {
        let mut out: Vec<Option<Result<AddResult>>> = Vec::with_capacity(docs.len());
        let mut keep = Vec::with_capacity(docs.len());
        let mut sent = Vec::with_capacity(docs.len()); // caller index of each document sent
        for (i, doc) in docs.iter().enumerate() {
            match RawDocument::new(doc) {
                Ok(d) => {
                    keep.push(d);
                    sent.push(i);
                    out.push(None);
                }
                Err(e) => out.push(Some(Err(Error::from_raw(e.raw_code(), format!("docs[{}]: {}", i, e.message()))))),
            }
        }
        if !keep.is_empty() {
            let raw: Vec<sys::retold_document> = keep.iter().map(|d| d.raw).collect();
            let mut results: Vec<sys::retold_add_result> = vec![empty_add_result(); raw.len()];
            let mut added = 0u64;
            // SAFETY: `raw` and `results` hold raw.len() entries; what `raw` points to is kept
            // alive by `keep` and `docs` for the call.
            check(unsafe {
                sys::retold_dedup_add_batch(
                    self.handle_mut(),
                    raw.as_ptr(),
                    raw.len() as u64,
                    results.as_mut_ptr(),
                    &mut added,
                )
            })?;
            for (k, r) in results.iter().enumerate() {
                // SAFETY: just filled by the library, on this thread, with no add since.
                out[sent[k]] = Some(unsafe { batch_result(r, k, sent[k]) });
            }
        }
        Ok(out.into_iter().map(|r| r.expect("every document has a result")).collect())
    }

    // ------------------------------------------------------------------------ queries

    fn matches(list: &mut sys::retold_match_list) -> Vec<Match> {
        let items = if list.count == 0 || list.items.is_null() {
            &[][..]
        } else {
            // SAFETY: `count` contiguous matches owned by the list.
            unsafe { std::slice::from_raw_parts(list.items, list.count as usize) }
        };
        items
            .iter()
            // SAFETY: ids owned by the list, copied before it is disposed.
            .map(|m| Match {
                id: unsafe { owned_string(m.id) },
                cluster_id: m.cluster_id,
                scores: Scores::from_raw(&m.scores),
            })
            .collect()
    }

    fn match_call(&self, call: impl FnOnce(*mut sys::retold_match_list) -> i32) -> Result<Vec<Match>> {
        let mut list = empty_match_list();
        let rc = call(&mut list);
        let result = check(rc).map(|_| Deduplicator::matches(&mut list));
        // SAFETY: disposed once, also after a failure (retold.h).
        unsafe { sys::retold_match_list_dispose(&mut list) };
        result
    }

    /// Stored reports most similar to `text`, best first, with the default [`QueryOptions`]
    /// (top 10, accepted matches only). Nothing is stored.
    pub fn query(&self, text: impl AsRef<[u8]>) -> Result<Vec<Match>> {
        self.query_with(text, &QueryOptions::default())
    }

    /// As [`Deduplicator::query`] with explicit options.
    pub fn query_with(&self, text: impl AsRef<[u8]>, options: &QueryOptions) -> Result<Vec<Match>> {
        let t = text.as_ref();
        let q = options.to_raw();
        // SAFETY: `t` and `q` live for the call; the list is caller memory.
        self.match_call(|list| unsafe {
            sys::retold_dedup_query(self.handle(), t.as_ptr() as *const c_char, text_len(t), &q, list)
        })
    }

    /// The same by an embedding (cosine only). [`ErrorCode::Incompatible`] for a wrong
    /// dimension or when embeddings are disabled.
    pub fn query_vector(&self, vector: &[f32], options: &QueryOptions) -> Result<Vec<Match>> {
        let dim = u32::try_from(vector.len())
            .map_err(|_| Error::new(ErrorCode::InvalidArgument, "query vector is too long"))?;
        let q = options.to_raw();
        // SAFETY: `vector` and `q` live for the call.
        self.match_call(|list| unsafe { sys::retold_dedup_query_vector(self.handle(), vector.as_ptr(), dim, &q, list) })
    }

    // ------------------------------------------------------------------------ lookups

    /// True when a document with this id is stored.
    pub fn contains(&self, id: &str) -> Result<bool> {
        let mut out = 0i32;
        // SAFETY: the id copy lives for the call.
        check(with_c_str(id, "id", |c| unsafe { sys::retold_dedup_contains(self.handle(), c, &mut out) })?)?;
        Ok(out != 0)
    }

    /// The story id of a stored report; [`ErrorCode::NotFound`] otherwise.
    pub fn cluster_of(&self, id: &str) -> Result<u64> {
        let mut out = 0u64;
        // SAFETY: the id copy lives for the call.
        check(with_c_str(id, "id", |c| unsafe { sys::retold_dedup_cluster_of(self.handle(), c, &mut out) })?)?;
        Ok(out)
    }

    /// The representative report of the story of `id`; [`ErrorCode::NotFound`] for an unknown id.
    pub fn representative_of(&self, id: &str) -> Result<String> {
        let c = c_string(id, "id")?;
        let mut buf = vec![0u8; 128];
        for _ in 0..8 {
            let mut len = 0u64;
            // SAFETY: `buf` holds buf.len() bytes.
            let rc = unsafe {
                sys::retold_dedup_representative_of(
                    self.handle(),
                    c.as_ptr(),
                    buf.as_mut_ptr() as *mut c_char,
                    buf.len() as u64,
                    &mut len,
                )
            };
            if rc == sys::RETOLD_EBUFSIZE {
                // the representative changed or is long: size to it and ask again
                buf = vec![0u8; len as usize + 1];
                continue;
            }
            check(rc)?;
            buf.truncate(len as usize);
            return String::from_utf8(buf)
                .map_err(|_| Error::new(ErrorCode::Internal, "the library returned an id that is not UTF-8"));
        }
        // only a representative that keeps growing between the calls gets here
        Err(Error::new(ErrorCode::Internal, format!("representative_of({:?}): the buffer size never settled", id)))
    }

    /// One story; [`ErrorCode::NotFound`] for an unknown story id.
    pub fn cluster(&self, cluster_id: u64) -> Result<Story> {
        let stories =
            self.cluster_list(|list| unsafe { sys::retold_dedup_cluster(self.handle(), cluster_id, list) })?;
        stories
            .get(0)
            .map(|s| s.to_story())
            .ok_or_else(|| Error::new(ErrorCode::Internal, format!("story {} came back empty", cluster_id)))
    }

    /// All stories with at least `min_members` members (0 or 1: all; 2: those that found a
    /// retelling), by increasing id, as one list the library filled (iterate it).
    pub fn clusters(&self, min_members: u64) -> Result<Stories> {
        // SAFETY: the list is caller memory the library fills.
        self.cluster_list(|list| unsafe { sys::retold_dedup_clusters(self.handle(), min_members, list) })
    }

    fn cluster_list(&self, call: impl FnOnce(*mut sys::retold_cluster_list) -> i32) -> Result<Stories> {
        let mut list = sys::retold_cluster_list {
            struct_size: size_of::<sys::retold_cluster_list>() as u32,
            item_size: size_of::<sys::retold_cluster>() as u32,
            member_size: size_of::<sys::retold_cluster_member>() as u32,
            items: ptr::null_mut(),
            count: 0,
            internal_: ptr::null_mut(),
        };
        let rc = call(&mut list);
        let stories = Stories::from_raw(list); // disposes on drop, also after a failure
        check(rc)?;
        Ok(stories)
    }

    /// Why two stored reports match or not (shared terms need [`Options::keep_text`]).
    pub fn explain(&self, id_a: &str, id_b: &str) -> Result<Explanation> {
        let a = c_string(id_a, "id_a")?;
        let b = c_string(id_b, "id_b")?;
        // SAFETY: plain data (pointers NULL) the library fills.
        let mut e: sys::retold_explanation = unsafe { std::mem::zeroed() };
        e.struct_size = size_of::<sys::retold_explanation>() as u32;
        e.feature_size = size_of::<sys::retold_feature>() as u32;
        // SAFETY: `a`, `b` live for the call; `e` is caller memory.
        let rc = unsafe { sys::retold_dedup_explain(self.handle(), a.as_ptr(), b.as_ptr(), &mut e) };
        let result = check(rc).map(|_| {
            // SAFETY: the library filled `e`; everything is copied before the dispose below.
            unsafe { Deduplicator::explanation(&e) }
        });
        // SAFETY: disposed once, also after a failure.
        unsafe { sys::retold_explanation_dispose(&mut e) };
        result
    }

    /// # Safety
    /// `e` was filled by retold_dedup_explain and not yet disposed.
    unsafe fn explanation(e: &sys::retold_explanation) -> Explanation {
        let shared_terms = (0..e.shared_term_count as usize).map(|i| owned_string(*e.shared_terms.add(i))).collect();
        let features: &[sys::retold_feature] = if e.feature_count == 0 || e.features.is_null() {
            &[]
        } else {
            // feature_size was size_of::<retold_feature>(), so the array is a plain slice
            std::slice::from_raw_parts(e.features, e.feature_count as usize)
        };
        Explanation {
            scores: Scores::from_raw(&e.scores),
            shared_terms,
            shared_passage: owned_string(e.shared_passage),
            features: features
                .iter()
                .map(|f| Feature { name: owned_string(f.name), value: f.value, contribution: f.contribution })
                .collect(),
            probability: e.probability,
        }
    }

    /// Counters and per-stage timings for monitoring.
    pub fn stats(&self) -> Result<Stats> {
        let mut s = sys::retold_stats { struct_size: size_of::<sys::retold_stats>() as u32, ..Default::default() };
        // SAFETY: `s` is caller memory.
        check(unsafe { sys::retold_dedup_stats(self.handle(), &mut s) })?;
        Ok(Stats::from_raw(&s))
    }

    /// The options in force, every field set (structural ones as created or loaded).
    pub fn options(&self) -> Result<Options> {
        let o = self.raw_options()?;
        // SAFETY: get_options set source_priority to source_priority_count strings owned by the
        // handle, which lives through this call; they are copied.
        Ok(unsafe { Options::from_raw(&o) })
    }

    /// The C options in force; its source_priority points into the handle (valid while it lives).
    fn raw_options(&self) -> Result<sys::retold_dedup_options> {
        let mut o = default_raw()?;
        // SAFETY: `o` is caller memory with its struct_size set.
        check(unsafe { sys::retold_dedup_get_options(self.handle(), &mut o) })?;
        Ok(o)
    }

    // ------------------------------------------------------------------------ mutation

    /// Removes a stored report; [`ErrorCode::NotFound`] when the id is unknown.
    pub fn remove(&self, id: &str) -> Result<()> {
        // SAFETY: the id copy lives for the call.
        check(with_c_str(id, "id", |c| unsafe { sys::retold_dedup_remove(self.handle_mut(), c) })?)
    }

    /// Removes every report with a timestamp before `cutoff` (retention); returns how many.
    pub fn evict_before(&self, cutoff: i64) -> Result<u64> {
        let mut n = 0u64;
        // SAFETY: `n` is caller memory.
        check(unsafe { sys::retold_dedup_evict_before(self.handle_mut(), cutoff, &mut n) })?;
        Ok(n)
    }

    // ------------------------------------------------------------------------ persistence

    /// Writes the whole state into directory `dir` atomically ([`ErrorCode::Io`] on failure).
    /// [`ErrorCode::Conflict`], with nothing written, when `dir` holds a state other than the
    /// one this deduplicator loaded from it or last saved there.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let p = c_path(dir.as_ref())?;
        // SAFETY: `p` lives for the call.
        check(unsafe { sys::retold_dedup_save(self.handle(), p.as_ptr()) })
    }

    /// As [`Deduplicator::save`] but replaces whatever state `dir` holds (still atomically).
    pub fn save_replace(&self, dir: impl AsRef<Path>) -> Result<()> {
        let p: CString = c_path(dir.as_ref())?;
        // SAFETY: `p` lives for the call.
        check(unsafe { sys::retold_dedup_save_replace(self.handle(), p.as_ptr()) })
    }

    // ------------------------------------------------------------------------ features alone

    /// The embedding this deduplicator gives `text` (nothing stored); empty with embeddings
    /// disabled or external.
    pub fn compute_embedding(&self, text: impl AsRef<[u8]>) -> Result<Vec<f32>> {
        let t = text.as_ref();
        let mut buf = vec![0f32; self.embedding_dim];
        loop {
            let mut dim = 0u64;
            // SAFETY: `buf` holds buf.len() floats; `t` lives for the call.
            let rc = unsafe {
                sys::retold_dedup_compute_embedding(
                    self.handle(),
                    t.as_ptr() as *const c_char,
                    text_len(t),
                    buf.as_mut_ptr(),
                    buf.len() as u64,
                    &mut dim,
                )
            };
            if rc == sys::RETOLD_EBUFSIZE && dim as usize > buf.len() {
                buf = vec![0f32; dim as usize];
                continue;
            }
            check(rc)?;
            buf.truncate(dim as usize);
            return Ok(buf);
        }
    }

    /// The MinHash signature this deduplicator gives `text` (nothing stored).
    pub fn compute_signature(&self, text: impl AsRef<[u8]>) -> Result<Signature> {
        let t = text.as_ref();
        let mut out = ptr::null_mut();
        // SAFETY: `t` lives for the call; `out` receives a new owned handle.
        check(unsafe {
            sys::retold_dedup_compute_signature(self.handle(), t.as_ptr() as *const c_char, text_len(t), &mut out)
        })?;
        Signature::from_raw(out)
    }
}

impl Drop for Deduplicator {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once; `&mut self` means no call is running on it.
        unsafe { sys::retold_dedup_free(self.raw.as_ptr()) };
    }
}

impl std::fmt::Debug for Deduplicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.stats() {
            Ok(s) => {
                f.debug_struct("Deduplicator").field("documents", &s.documents).field("clusters", &s.clusters).finish()
            }
            Err(_) => f.debug_struct("Deduplicator").finish_non_exhaustive(),
        }
    }
}
