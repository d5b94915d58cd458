// src/features/detail/embed_simd.hpp - which projection kernel tfidf_embedder::embed_into uses
// (internal; for tests and benchmarks).
#pragma once

namespace retold::detail {

/// Whether embed_into computes term weights 8 at a time with AVX-512 (x86-64 CPUs with
/// AVX-512F/VL/DQ, unless the environment variable RETOLD_SIMD is "generic" or "avx2" at the first
/// embedding). Both paths give the same bits: the per-term arithmetic is the same and the adds to
/// each output bucket happen in term order either way. Thread-safe.
bool embed_simd_enabled() noexcept;

/// Turns the AVX-512 path off (false) or back on where the CPU has it (true), for tests that
/// compare the two paths. Thread-safe (an atomic flag), but meant for single-threaded test setup.
void set_embed_simd(bool on) noexcept;

}  // namespace retold::detail
