//! [`Signature`]: an immutable MinHash signature with the configuration that made it.

use std::ptr::{self, NonNull};

use retold_sys as sys;

use crate::error::{check, Error, ErrorCode, Result};

/// A MinHash signature (from [`crate::Deduplicator::compute_signature`] or
/// [`Signature::from_bytes`]). Owns its handle (released on drop). Immutable, so it may be
/// shared by any number of threads (`Send + Sync`, as retold.h allows).
pub struct Signature {
    raw: NonNull<sys::retold_signature>,
}

// SAFETY: retold.h: "A retold_signature is immutable and may be shared freely"; it is freed
// only in Drop, which no other use can race.
unsafe impl Send for Signature {}
unsafe impl Sync for Signature {}

impl Signature {
    /// Takes ownership of a handle the library created.
    pub(crate) fn from_raw(raw: *mut sys::retold_signature) -> Result<Signature> {
        NonNull::new(raw)
            .map(|raw| Signature { raw })
            .ok_or_else(|| Error::new(ErrorCode::Internal, "the library returned no signature"))
    }

    /// Parses [`Signature::to_bytes`] output. [`ErrorCode::Corrupted`] for bad magic, truncated
    /// or trailing bytes, [`ErrorCode::Incompatible`] for an unknown format version or scheme.
    pub fn from_bytes(bytes: &[u8]) -> Result<Signature> {
        let mut out = ptr::null_mut();
        // SAFETY: `bytes` is valid for its length; `out` receives a new owned handle.
        check(unsafe { sys::retold_signature_deserialize(&mut out, bytes.as_ptr(), bytes.len() as u64) })?;
        Signature::from_raw(out)
    }

    /// The `num_hashes` MinHash values.
    pub fn values(&self) -> Result<Vec<u32>> {
        let n = self.len();
        let mut buf = vec![0u32; n];
        let mut count = 0u64;
        // SAFETY: `buf` holds `n` values.
        check(unsafe { sys::retold_signature_values(self.raw.as_ptr(), buf.as_mut_ptr(), n as u64, &mut count) })?;
        buf.truncate(count as usize);
        Ok(buf)
    }

    /// Number of hash values (the configured num_hashes).
    pub fn len(&self) -> usize {
        let mut count = 0u64;
        // SAFETY: capacity 0 with a NULL buffer asks for the count (RETOLD_EBUFSIZE or OK).
        unsafe { sys::retold_signature_values(self.raw.as_ptr(), ptr::null_mut(), 0, &mut count) };
        count as usize
    }

    /// Never true for a signature the library made; for symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The portable serialized form (little-endian, with magic, version, scheme and seed).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut len = 0u64;
        // SAFETY: capacity 0 asks for the size.
        let rc = unsafe { sys::retold_signature_serialize(self.raw.as_ptr(), ptr::null_mut(), 0, &mut len) };
        if rc != sys::RETOLD_OK && rc != sys::RETOLD_EBUFSIZE {
            return Err(Error::last(rc));
        }
        let mut buf = vec![0u8; len as usize];
        // SAFETY: `buf` holds `len` bytes.
        check(unsafe { sys::retold_signature_serialize(self.raw.as_ptr(), buf.as_mut_ptr(), len, &mut len) })?;
        buf.truncate(len as usize);
        Ok(buf)
    }

    /// Estimated Jaccard similarity; [`ErrorCode::Incompatible`] across configurations (seed,
    /// length or scheme).
    pub fn jaccard(&self, other: &Signature) -> Result<f64> {
        let mut out = 0.0;
        // SAFETY: both handles are live for the call.
        check(unsafe { sys::retold_signature_jaccard(self.raw.as_ptr(), other.raw.as_ptr(), &mut out) })?;
        Ok(out)
    }

    /// The raw handle, still owned by this value (valid while it lives).
    pub fn as_raw(&self) -> *const sys::retold_signature {
        self.raw.as_ptr()
    }
}

impl Drop for Signature {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once; `&mut self` excludes concurrent use.
        unsafe { sys::retold_signature_free(self.raw.as_ptr()) };
    }
}

impl PartialEq for Signature {
    /// Equal when their serialized forms are (same values and configuration).
    fn eq(&self, other: &Signature) -> bool {
        matches!((self.to_bytes(), other.to_bytes()), (Ok(a), Ok(b)) if a == b)
    }
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signature").field("len", &self.len()).finish()
    }
}
