//! [`Prepared`]: one document's features, computed where it is read and added elsewhere
//! (`retold_dedup_prepare` / `retold_dedup_add_prepared_batch`; docs/scaling.md).

use std::ptr::{self, NonNull};

use retold_sys as sys;

use crate::dedup::{batch_result, empty_add_result, Deduplicator};
use crate::document::{Document, RawDocument};
use crate::error::{check, Error, ErrorCode, Result};
use crate::results::AddResult;

/// A prepared document: everything an add computes from the document (signature, band keys,
/// evidence sketch, embedder terms or the normalized caller vector, title, snippet, id,
/// timestamp, source) with a fingerprint of the configuration that made it; no text. Owns its
/// handle (released on drop). Immutable, so it may be shared by any number of threads
/// (`Send + Sync`, as retold.h allows).
pub struct Prepared {
    raw: NonNull<sys::retold_prepared>,
}

// SAFETY: retold.h: a retold_prepared "may be shared freely between threads"; it is freed only in
// Drop, which no other use can race.
unsafe impl Send for Prepared {}
unsafe impl Sync for Prepared {}

impl Prepared {
    fn from_raw(raw: *mut sys::retold_prepared) -> Result<Prepared> {
        NonNull::new(raw)
            .map(|raw| Prepared { raw })
            .ok_or_else(|| Error::new(ErrorCode::Internal, "the library returned no prepared document"))
    }

    /// Parses [`Prepared::to_bytes`] output (from this process or another).
    /// [`ErrorCode::Corrupted`] names what is wrong with a damaged or truncated blob,
    /// [`ErrorCode::Incompatible`] another format version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Prepared> {
        let mut out = ptr::null_mut();
        // SAFETY: `bytes` is valid for its length; `out` receives a new owned handle.
        check(unsafe { sys::retold_prepared_deserialize(&mut out, bytes.as_ptr(), bytes.len() as u64) })?;
        Prepared::from_raw(out)
    }

    /// The portable serialized form (magic, format version, configuration fingerprint,
    /// little-endian fields, checksum).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut len = 0u64;
        // SAFETY: capacity 0 with a NULL buffer asks for the size.
        let rc = unsafe { sys::retold_prepared_serialize(self.raw.as_ptr(), ptr::null_mut(), 0, &mut len) };
        if rc != sys::RETOLD_OK && rc != sys::RETOLD_EBUFSIZE {
            return Err(Error::last(rc));
        }
        let mut buf = vec![0u8; len as usize];
        // SAFETY: `buf` holds `len` bytes.
        check(unsafe { sys::retold_prepared_serialize(self.raw.as_ptr(), buf.as_mut_ptr(), len, &mut len) })?;
        buf.truncate(len as usize);
        Ok(buf)
    }

    /// The LSH band keys of the signature: `keys[i]` is band i's bucket. Two documents are LSH
    /// candidates exactly when they share a (band, key) and their estimated Jaccard reaches
    /// `lsh_threshold`. Empty for a document without shingles.
    pub fn band_keys(&self) -> Result<Vec<u32>> {
        let mut n = 0u64;
        // SAFETY: capacity 0 with a NULL buffer asks for the count.
        let rc = unsafe { sys::retold_prepared_band_keys(self.raw.as_ptr(), ptr::null_mut(), 0, &mut n) };
        if rc != sys::RETOLD_OK && rc != sys::RETOLD_EBUFSIZE {
            return Err(Error::last(rc));
        }
        let mut buf = vec![0u32; n as usize];
        // SAFETY: `buf` holds `n` keys.
        check(unsafe { sys::retold_prepared_band_keys(self.raw.as_ptr(), buf.as_mut_ptr(), n, &mut n) })?;
        buf.truncate(n as usize);
        Ok(buf)
    }

    /// The raw handle, still owned by this value (valid while it lives).
    pub fn as_raw(&self) -> *const sys::retold_prepared {
        self.raw.as_ptr()
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once; `&mut self` excludes concurrent use.
        unsafe { sys::retold_prepared_free(self.raw.as_ptr()) };
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").finish_non_exhaustive()
    }
}

impl Deduplicator {
    /// The features of `doc` with this deduplicator's configuration; nothing is stored and no
    /// lock is taken, so any number of threads may prepare at once, also while others add.
    /// Fails as [`Deduplicator::add`] would for the document (invalid, bad UTF-8, too large,
    /// missing or wrong vector).
    pub fn prepare(&self, doc: &Document<'_>) -> Result<Prepared> {
        let d = RawDocument::new(doc)?;
        let mut out = ptr::null_mut();
        // SAFETY: `d` and the strings it points to live for the call; `out` receives a new handle.
        check(unsafe { sys::retold_dedup_prepare(&mut out, self.handle(), &d.raw) })?;
        Prepared::from_raw(out)
    }

    /// Adds prepared documents in order: the stories, scores and results are exactly those
    /// [`Deduplicator::add_batch`] gives for the same documents (a duplicate id gets an error
    /// entry and the others go on). The whole call fails, storing nothing, with
    /// [`ErrorCode::Incompatible`] when a document was prepared with another configuration.
    pub fn add_prepared_batch(&self, docs: &[&Prepared]) -> Result<Vec<Result<AddResult>>> {
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<*const sys::retold_prepared> = docs.iter().map(|p| p.as_raw()).collect();
        let mut results: Vec<sys::retold_add_result> = vec![empty_add_result(); raw.len()];
        let mut added = 0u64;
        // SAFETY: `raw` and `results` hold raw.len() entries; the handles are borrowed from
        // `docs`, alive for the call.
        check(unsafe {
            sys::retold_dedup_add_prepared_batch(
                self.handle_mut(),
                raw.as_ptr(),
                raw.len() as u64,
                results.as_mut_ptr(),
                &mut added,
            )
        })?;
        // SAFETY: just filled by the library on this thread.
        Ok(results.iter().enumerate().map(|(k, r)| unsafe { batch_result(r, k, k) }).collect())
    }
}
