//! [`Document`]: one incoming report, borrowed for the duration of an add call.

use std::ffi::CString;
use std::os::raw::c_char;
use std::ptr;

use retold_sys as sys;

use crate::error::{Error, ErrorCode, Result};
use crate::strings::c_string;

/// One report to add. Every field is borrowed: the library copies what it keeps before the add
/// call returns, so the document may be dropped right after.
///
/// ```
/// let doc = retold::Document::new("reuters-1", "PARIS, March 5 (Reuters) - ...")
///     .timestamp(1_709_629_500)
///     .source("Reuters")
///     .title("France invites Ukraine's allies to video call");
/// # let _ = doc;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Document<'a> {
    /// Unique id, 1..1024 bytes of UTF-8 without NUL.
    pub id: &'a str,
    /// The body: UTF-8 (given as bytes, so invalid UTF-8 reaches the library, which refuses it
    /// with [`ErrorCode::InvalidUtf8`] naming the byte offset, or replaces it by option).
    pub text: &'a [u8],
    /// Optional headline.
    pub title: Option<&'a [u8]>,
    /// Optional outlet name (for the representative policy).
    pub source: Option<&'a str>,
    /// Seconds since the Unix epoch, UTC (default 0).
    pub timestamp: i64,
    /// The caller's embedding (required with [`crate::EmbeddingMode::External`]).
    pub vector: Option<&'a [f32]>,
}

impl<'a> Document<'a> {
    /// A document with an id and a text (`&str`, `String`, `&[u8]`, ...), no title, source,
    /// vector, timestamp 0.
    pub fn new<T: AsRef<[u8]> + ?Sized>(id: &'a str, text: &'a T) -> Document<'a> {
        Document { id, text: text.as_ref(), title: None, source: None, timestamp: 0, vector: None }
    }

    /// With this timestamp (seconds since the Unix epoch, UTC).
    pub fn timestamp(mut self, seconds: i64) -> Self {
        self.timestamp = seconds;
        self
    }

    /// With this outlet name.
    pub fn source(mut self, source: &'a str) -> Self {
        self.source = Some(source);
        self
    }

    /// With this headline.
    pub fn title<T: AsRef<[u8]> + ?Sized>(mut self, title: &'a T) -> Self {
        self.title = Some(title.as_ref());
        self
    }

    /// With this embedding.
    pub fn vector(mut self, vector: &'a [f32]) -> Self {
        self.vector = Some(vector);
        self
    }
}

/// A `retold_document` and the NUL-terminated copies its pointers borrow.
pub(crate) struct RawDocument {
    pub(crate) raw: sys::retold_document,
    _id: CString,
    _source: Option<CString>,
}

impl RawDocument {
    pub(crate) fn new(doc: &Document<'_>) -> Result<RawDocument> {
        let id = c_string(doc.id, &format!("id of document {:?}", doc.id))?;
        let source = match doc.source {
            Some(s) => Some(c_string(s, &format!("source of document {:?}", doc.id))?),
            None => None,
        };
        let (vector, vector_dim) = match doc.vector {
            Some(v) => (
                v.as_ptr(),
                u32::try_from(v.len()).map_err(|_| {
                    Error::new(ErrorCode::InvalidArgument, format!("vector of document {:?} is too long", doc.id))
                })?,
            ),
            None => (ptr::null(), 0),
        };
        let raw = sys::retold_document {
            struct_size: std::mem::size_of::<sys::retold_document>() as u32,
            vector_dim,
            id: id.as_ptr(),
            text: doc.text.as_ptr() as *const c_char,
            text_len: doc.text.len() as u64,
            title: doc.title.map_or(ptr::null(), |t| t.as_ptr() as *const c_char),
            title_len: doc.title.map_or(0, |t| t.len() as u64),
            source: source.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
            timestamp: doc.timestamp,
            vector,
        };
        Ok(RawDocument { raw, _id: id, _source: source })
    }
}
