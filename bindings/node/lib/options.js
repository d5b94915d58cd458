'use strict';
// Deduplicator options: the table of every option (JavaScript name, C field of
// retold_dedup_options, kind, runtime or structural), their conversion to the C struct for
// retold_dedup_new() and retold_dedup_load()'s overrides, and back. Pure functions of their
// arguments, safe in every isolate.

const N = require('./native');
const { cString, typeName } = require('./convert');
const { InvalidArgumentError, check } = require('./errors');

// Every option: [JavaScript name, C field, kind, runtime]. Runtime options may be overridden on
// load (their C field names the RETOLD_OPTION_* bit); the others are structural. Kinds: bool,
// u32, u64 (integers >= 0 of that width), num (a finite number), unit (a number in [0, 1]),
// seconds (an integer >= 0), or an enum table. The library checks every range beyond these
// types and names the field (InvalidArgumentError).
const OPTIONS = [
  ['casefold', 'casefold', 'bool', false],
  ['foldPunctuation', 'fold_punctuation', 'bool', false],
  ['stripBoilerplate', 'strip_boilerplate', 'bool', false],
  ['replaceInvalidUtf8', 'replace_invalid_utf8', 'bool', false],
  ['keepText', 'keep_text', 'bool', false],
  ['shingle', 'shingle_kind', N.SHINGLE, false],
  ['shingleSize', 'shingle_size', 'u32', false],
  ['numHashes', 'num_hashes', 'u32', false],
  ['minhashScheme', 'minhash_scheme', N.MINHASH_SCHEME, false],
  ['minhashSeed', 'minhash_seed', 'u64', false],
  ['lshBands', 'lsh_bands', 'u32', false],
  ['lshRows', 'lsh_rows', 'u32', false],
  ['lshThreshold', 'lsh_threshold', 'unit', false],
  ['embedding', 'embedding_mode', N.EMBEDDING, false],
  ['externalDimension', 'external_dimension', 'u32', false],
  ['embedderDimension', 'embedder_dimension', 'u32', false],
  ['embedderWordNgramMax', 'embedder_word_ngram_max', 'u32', false],
  ['embedderCharNgramMin', 'embedder_char_ngram_min', 'u32', false],
  ['embedderCharNgramMax', 'embedder_char_ngram_max', 'u32', false],
  ['embedderSublinearTf', 'embedder_sublinear_tf', 'bool', false],
  ['embedderDfBucketsLog2', 'embedder_df_buckets_log2', 'u32', false],
  ['embedderWordWeight', 'embedder_word_weight', 'num', false],
  ['embedderNumberWeight', 'embedder_number_weight', 'num', false],
  ['embedderCharWeight', 'embedder_char_weight', 'num', false],
  ['embedderWordNgramWeight', 'embedder_word_ngram_weight', 'num', false],
  ['embedderSeed', 'embedder_seed', 'u64', false],
  ['vectorIndex', 'vector_index_kind', N.VECTOR_INDEX, false],
  ['nlist', 'vector_index_nlist', 'u32', false],
  ['nprobe', 'vector_index_nprobe', 'u32', false],
  ['scalarQuantization', 'vector_index_scalar_quantization', 'bool', false],
  ['ivfMinSize', 'vector_index_ivf_min_size', 'u64', false],
  ['vectorIndexSeed', 'vector_index_seed', 'u64', false],
  ['sketchWords', 'sketch_words', 'u32', false],
  ['sketchBigrams', 'sketch_bigrams', 'u32', false],
  ['sketchNumbers', 'sketch_numbers', 'u32', false],
  ['sketchNames', 'sketch_names', 'u32', false],
  ['sketchTitleWords', 'sketch_title_words', 'u32', false],
  ['sketchTrigrams', 'sketch_trigrams', 'u32', false],
  ['sketchSeed', 'sketch_seed', 'u64', false],
  ['vectorCandidates', 'vector_candidates', 'u64', true],
  ['decision', 'decision', N.MATCH_DECISION, true],
  ['threads', 'threads', 'u32', true],
  ['matchThreshold', 'match_threshold', 'unit', true],
  ['jaccardThreshold', 'jaccard_threshold', 'unit', true],
  ['cosineThreshold', 'cosine_threshold', 'unit', true],
  ['combinedWeightJaccard', 'combined_weight_jaccard', 'unit', true],
  ['combinedThreshold', 'combined_threshold', 'unit', true],
  ['copyJaccard', 'copy_jaccard', 'unit', true],
  ['timeWindow', 'time_window_seconds', 'seconds', true],
  ['maxDocumentBytes', 'max_document_bytes', 'u64', true],
  ['sourcePriority', 'source_priority', 'names', true],
  ['retention', 'retention_seconds', 'seconds', true],
  ['snippetBytes', 'snippet_bytes', 'u32', true],
];
const BY_NAME = new Map(OPTIONS.map((o) => [o[0], o]));
// `dimension`: the embedding dimension of the chosen mode (embedderDimension for "builtin",
// externalDimension for "external"); `preset`: "copies", "retellings" or "stories", applied
// first (it sets the match options; options given beside it win).
const EXTRA_OPTIONS = new Set(['dimension', 'preset']);
/** The JavaScript option names, for documentation and tests. */
const OPTION_NAMES = Object.freeze([...OPTIONS.map((o) => o[0]), ...EXTRA_OPTIONS]);

function show(v) {
  return typeof v === 'bigint' ? `${v}n` : JSON.stringify(v);
}

function optionValue(name, kind, v) {
  if (kind === 'bool') {
    if (typeof v !== 'boolean') throw new InvalidArgumentError(`${name} must be true or false, not ${show(v)}`);
    return v ? 1 : 0;
  }
  if (kind === 'u32' || kind === 'u64' || kind === 'seconds') {
    const bits = kind === 'u32' ? 32n : kind === 'u64' ? 64n : 63n;
    const ok = (typeof v === 'bigint' && v >= 0n && v < 2n ** bits) ||
      (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && BigInt(v) < 2n ** bits);
    if (!ok) throw new InvalidArgumentError(`${name} must be an integer in [0, 2**${bits}), not ${show(v)}`);
    return v;
  }
  if (kind === 'num' || kind === 'unit') {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a finite number, not ${show(v)}`);
    if (kind === 'unit' && !(v >= 0 && v <= 1)) throw new InvalidArgumentError(`${name} must be a number in [0, 1], not ${show(v)}`);
    return v;
  }
  if (kind === 'names') {
    if (!Array.isArray(v)) throw new InvalidArgumentError(`${name} must be an array of outlet names, not ${show(v)}`);
    return v.map((s, i) => {
      if (typeof s !== 'string') throw new TypeError(`${name}[${i}] must be a string, not ${typeName(s)}`);
      return cString(s, `${name}[${i}]`);
    });
  }
  if (Object.prototype.hasOwnProperty.call(kind, v)) return kind[v];
  throw new InvalidArgumentError(`${name} must be one of ${Object.keys(kind).map((k) => JSON.stringify(k)).join(', ')}, not ${show(v)}`);
}

function setField(o, field, value) {
  if (field === 'source_priority') {
    // koffi writes the array of strings into its call memory and passes its address
    o.source_priority = value.length ? value : null;
    o.source_priority_count = value.length;
  } else {
    o[field] = value;
  }
}

/** The library's default options (a C options object for koffi). */
function defaultOptions() {
  const o = { struct_size: N.SIZES.options };
  check(N.native().fn.retold_dedup_options_init(o, N.SIZES.options));
  return o;
}

/**
 * The C options struct (a plain object for koffi) for JavaScript options over the library's
 * defaults; undefined/null values mean the default. InvalidArgumentError for an unknown option or
 * a value of the wrong type.
 */
function buildOptions(options = {}) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`options must be an object, not ${typeName(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!BY_NAME.has(key) && !EXTRA_OPTIONS.has(key)) throw new InvalidArgumentError(`unknown option ${JSON.stringify(key)}`);
  }
  const o = defaultOptions();
  const given = (k) => options[k] !== undefined && options[k] !== null;
  if (given('preset')) {
    if (typeof options.preset !== 'string') throw new InvalidArgumentError(`preset must be a string, not ${show(options.preset)}`);
    check(N.native().fn.retold_dedup_options_apply_preset(o, cString(options.preset, 'preset')));
  }
  for (const [name, field, kind] of OPTIONS) {
    if (given(name)) setField(o, field, optionValue(name, kind, options[name]));
  }
  if (given('dimension')) {
    const dim = optionValue('dimension', 'u32', options.dimension);
    if (o.embedding_mode === N.EMBEDDING.external) o.external_dimension = dim;
    else o.embedder_dimension = dim;
  }
  return o;
}

/**
 * Load overrides: the C options struct and the RETOLD_OPTION_* bits of the runtime options
 * given (every other option keeps its saved value). InvalidArgumentError for a structural option.
 */
function buildOverrides(overrides) {
  if (overrides === undefined || overrides === null) return { opts: null, bits: 0n };
  if (typeof overrides !== 'object' || Array.isArray(overrides)) throw new TypeError(`overrides must be an object, not ${typeName(overrides)}`);
  const o = defaultOptions();
  let bits = 0n;
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined || value === null) continue;
    const spec = BY_NAME.get(key);
    if (!spec) {
      if (EXTRA_OPTIONS.has(key)) throw new InvalidArgumentError(`${key} cannot be given on load (it is structural, or give the match options themselves)`);
      throw new InvalidArgumentError(`unknown option ${JSON.stringify(key)}`);
    }
    const [name, field, kind, runtime] = spec;
    if (!runtime) throw new InvalidArgumentError(`${name} is structural: it is saved with the state and cannot be changed on load`);
    setField(o, field, optionValue(name, kind, value));
    bits |= N.OPTION_BITS[field];
  }
  return bits ? { opts: o, bits } : { opts: null, bits: 0n };
}

/** The options in force as a JavaScript object (the keys of buildOptions). */
function readOptions(o) {
  const out = {};
  for (const [name, field, kind] of OPTIONS) {
    const v = o[field];
    if (kind === 'bool') out[name] = v !== 0;
    else if (kind === 'names') out[name] = o.source_priority_count > 0 && o.source_priority ? N.decodeArray(o.source_priority, 'const char *', o.source_priority_count) : [];
    else if (typeof kind === 'object') out[name] = Object.keys(kind).find((k) => kind[k] === v) ?? v;
    else if (kind === 'seconds') out[name] = Number(v);
    else out[name] = v;
  }
  out.dimension = out.embedding === 'builtin' ? out.embedderDimension : out.embedding === 'external' ? out.externalDimension : 0;
  return out;
}

module.exports = { buildOptions, buildOverrides, readOptions, defaultOptions, OPTION_NAMES };
