//! retold finds the same news story told again: add reports, find their retellings, keep them
//! as stories with stable ids. This crate is the safe Rust API over retold's stable C ABI
//! (`libretold_c`, declared in the `retold-sys` crate).
//!
//! ```no_run
//! use retold::{Deduplicator, Document, Options};
//!
//! # fn main() -> retold::Result<()> {
//! let d = Deduplicator::with_options(&Options {
//!     source_priority: Some(vec!["Reuters".into(), "AP".into()]),
//!     ..Default::default()
//! })?;
//! d.add(&Document::new("reuters-1", "PARIS, March 5 (Reuters) - France has invited ...").source("Reuters"))?;
//! let r = d.add(&Document::new("unn-1", "France has invited ..., UNN reports.").source("UNN"))?;
//! if !r.new_story {
//!     println!("retelling of story {}", r.cluster_id);
//! }
//! for story in &d.clusters(2)? {
//!     println!("{} {:?}", story.representative(), story.member_ids());
//! }
//! d.save("/var/lib/retold")?;
//! # Ok(()) }
//! ```
//!
//! - Ownership: [`Deduplicator`] and [`Signature`] own their native handles and release them on
//!   drop; [`Stories`] owns a list the library filled and lends borrowed views of it. Results
//!   ([`Match`], [`Story`], [`Explanation`], ...) are plain owned Rust values.
//! - Threads: a `Deduplicator` is `Send + Sync`, as the C ABI's thread contract allows: share it
//!   (e.g. in an `Arc`) and call it from any number of threads; the library runs queries
//!   concurrently and serializes adds. `Signature` and `Stories` are immutable: `Send + Sync`.
//! - Errors: every fallible call returns [`Result`], whose [`Error`] holds the pinned C code as
//!   an [`ErrorCode`] and the library's message (read on the calling thread right after the call).
//! - Texts are `impl AsRef<[u8]>` (a `&str`, a `String`, or raw bytes, which the library checks
//!   as UTF-8); ids, sources and paths are `&str` / `Path` without NUL bytes.

mod dedup;
mod document;
mod error;
mod options;
mod prepared;
mod results;
mod signature;
mod stories;
mod strings;

pub use dedup::Deduplicator;
pub use document::Document;
pub use error::{Error, ErrorCode, Result};
pub use options::{EmbeddingMode, MatchDecision, MinhashScheme, Options, Preset, ShingleKind, VectorIndexKind};
pub use prepared::Prepared;
pub use results::{AddResult, Decision, Explanation, Feature, Match, QueryOptions, Scores, Stats};
pub use signature::Signature;
pub use stories::{IntoStories, Member, MemberIter, MemberView, Stories, Story, StoryIter, StoryView};

/// The raw C declarations, for calls this crate does not wrap.
pub use retold_sys as sys;

/// The version of the loaded libretold_c, "major.minor.patch" (it may differ from the headers
/// this crate was written against when the shared library was upgraded underneath).
pub fn library_version() -> String {
    // SAFETY: a static NUL-terminated string owned by the library.
    unsafe { std::ffi::CStr::from_ptr(sys::retold_version_string()) }.to_string_lossy().into_owned()
}

/// The README's examples run as doctests (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
