// retold/retold.hpp - umbrella header of the C++ API.
//
// The pipeline, one header per stage:
//   text.hpp     normalization, tokenization, boilerplate stripping, UTF-8 checks
//   shingle.hpp  word and character shingles hashed with XXH3
//   minhash.hpp  MinHash signatures and Jaccard estimation
//   lsh.hpp      LSH banding index over signatures
//   embed.hpp    the built-in TF-IDF embedder
//   vector_index.hpp  the FAISS-backed vector index
//   sketch.hpp   the per-document evidence sketch
//   verify.hpp   the pair evidence and the learned match model that accept candidate pairs
//   cluster.hpp  connected components, leader clustering, representative policy
//   dedup.hpp    retold::deduplicator, the object a backend holds (and its save/load)
//   presets.hpp  named choices of what counts as one story (copies, retellings, stories)
// error.hpp holds the single exception type; version.h the version macros (also for C).
#pragma once

#include <retold/version.h>

#include <retold/cluster.hpp>
#include <retold/dedup.hpp>
#include <retold/embed.hpp>
#include <retold/error.hpp>
#include <retold/lsh.hpp>
#include <retold/minhash.hpp>
#include <retold/presets.hpp>
#include <retold/shingle.hpp>
#include <retold/sketch.hpp>
#include <retold/text.hpp>
#include <retold/vector_index.hpp>
#include <retold/verify.hpp>
