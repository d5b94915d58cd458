// TypeScript declarations of the retold Node.js binding (index.js). Checked by
// tests/types.test.js (tsc --noEmit on tests/types/usage.ts).
//
// Ownership: a Deduplicator or Signature owns native memory, freed by close() (or, as a safety
// net, when the garbage collector collects the object). Results are plain JavaScript values
// owned by the caller. Threads: one Deduplicator may be used from every worker thread that
// attached to it; each JavaScript object is used by its own thread only.

/// <reference lib="es2022" />

/** Seconds since the Unix epoch, a Date, or an ISO 8601 string ("2024-03-05T09:05:00Z"; no zone means UTC). */
export type Timestamp = number | bigint | Date | string;
/** UTF-8 text: a string, or bytes passed to the library as they are. */
export type Text = string | Uint8Array | ArrayBuffer;
/** An embedding: a Float32Array (passed by address) or numbers. */
export type Vector = Float32Array | ArrayLike<number>;
/** A 64-bit unsigned integer: a number, or a bigint past Number.MAX_SAFE_INTEGER. */
export type U64 = number | bigint;

export type Decision = 'rejected' | 'jaccard' | 'cosine' | 'combined' | 'model';

/** The options of a deduplicator; omitted = the library's default (include/retold/dedup.hpp). */
export interface DeduplicatorOptions {
  /** Sets the match options to a preset first; other options given win. */
  preset?: 'copies' | 'retellings' | 'stories';
  embedding?: 'builtin' | 'external' | 'none';
  /** The embedding dimension of the chosen mode (embedderDimension or externalDimension). */
  dimension?: number;
  externalDimension?: number;
  embedderDimension?: number;
  embedderWordNgramMax?: number;
  embedderCharNgramMin?: number;
  embedderCharNgramMax?: number;
  embedderSublinearTf?: boolean;
  embedderDfBucketsLog2?: number;
  embedderWordWeight?: number;
  embedderNumberWeight?: number;
  embedderCharWeight?: number;
  embedderWordNgramWeight?: number;
  embedderSeed?: U64;
  casefold?: boolean;
  foldPunctuation?: boolean;
  stripBoilerplate?: boolean;
  replaceInvalidUtf8?: boolean;
  keepText?: boolean;
  shingle?: 'word' | 'character';
  shingleSize?: number;
  numHashes?: number;
  minhashScheme?: 'one_permutation' | 'multiply_shift';
  minhashSeed?: U64;
  lshBands?: number;
  lshRows?: number;
  lshThreshold?: number;
  vectorIndex?: 'automatic' | 'flat' | 'ivf';
  nlist?: number;
  nprobe?: number;
  scalarQuantization?: boolean;
  ivfMinSize?: U64;
  vectorIndexSeed?: U64;
  sketchWords?: number;
  sketchBigrams?: number;
  sketchNumbers?: number;
  sketchNames?: number;
  sketchTitleWords?: number;
  sketchTrigrams?: number;
  sketchSeed?: U64;
  // runtime options (may be overridden on load)
  vectorCandidates?: U64;
  decision?: 'automatic' | 'model' | 'rule';
  threads?: number;
  matchThreshold?: number;
  jaccardThreshold?: number;
  cosineThreshold?: number;
  combinedWeightJaccard?: number;
  combinedThreshold?: number;
  copyJaccard?: number;
  /** Seconds; 0 = no window. */
  timeWindow?: number;
  maxDocumentBytes?: U64;
  /** Preferred outlets, best first (the representative policy). */
  sourcePriority?: string[];
  /** Seconds: the caller's retention, saved with the state for the next run (0 = none); the library never evicts by itself. */
  retention?: number;
  /** Bytes of each document's opening kept as its snippet (applies to documents added from then on). */
  snippetBytes?: number;
}

/** The runtime options a load may change; every other option keeps its saved value. */
export type LoadOverrides = Pick<DeduplicatorOptions,
  'vectorCandidates' | 'decision' | 'threads' | 'matchThreshold' | 'jaccardThreshold' | 'cosineThreshold' |
  'combinedWeightJaccard' | 'combinedThreshold' | 'copyJaccard' | 'timeWindow' | 'maxDocumentBytes' | 'sourcePriority' |
  'retention' | 'snippetBytes'>;

/** The options in force, every default resolved. */
export type ResolvedOptions = Required<Omit<DeduplicatorOptions, 'preset'>>;

export interface DocumentInput {
  id: string;
  text: Text;
  timestamp?: Timestamp;
  source?: string;
  title?: Text;
  vector?: Vector;
}

/** A document for addBatch: an object or an [id, text] pair. */
export type BatchDocument = DocumentInput | [string, Text];

export interface Scores {
  jaccard: number;
  cosine: number;
  /** In [0, 1]: the match model's probability, or the threshold rule's score. */
  score: number;
  hasCosine: boolean;
  decision: Decision;
}

export interface AddResult {
  clusterId: number;
  newStory: boolean;
  candidates: number;
  /** The member that decided the join (the leader, or the member it copies); null for a new story. */
  leaderId: string | null;
  leaderScores: Scores | null;
  /** addBatch: why this document was skipped (nothing of it stored); null when it was added. */
  error: RetoldError | TypeError | null;
}

export interface QueryOptions {
  topK?: number;
  includeRejected?: boolean;
  /** Apply the configured time window around this time. */
  timestamp?: Timestamp;
  minScore?: number;
}

export interface Match {
  id: string;
  clusterId: number;
  scores: Scores;
}

export interface Member {
  id: string;
  /** "" when the document had none. */
  source: string;
  timestamp: number;
  /** The title as given (whitespace runs made single spaces); "" when none. */
  title: string;
  /** The opening of the text (at most snippetBytes bytes); "" when none was kept. */
  snippet: string;
  /** Against the story's leader when it joined. */
  scores: Scores;
}

export interface Cluster {
  id: number;
  representative: string;
  leader: string;
  /** Leader first, then in order of joining. */
  members: Member[];
}

export interface Feature {
  name: string;
  value: number;
  contribution: number;
}

export interface Explanation {
  scores: Scores;
  probability: number;
  features: Feature[];
  sharedTerms: string[];
  sharedPassage: string;
}

export interface Stats {
  documents: number;
  clusters: number;
  multiMemberClusters: number;
  documentsAddedTotal: number;
  documentsRemovedTotal: number;
  memoryBytes: number;
  frequencyDocuments: number;
  /** Wall-clock seconds inside add calls by stage, since created or loaded. */
  addSeconds: { features: number; embed: number; candidates: number; verifyCluster: number; indexAdd: number };
}

/** From Deduplicator.share(): structured-clonable, holds no reference itself. */
export interface ShareToken {
  readonly handle: bigint;
  readonly control: Int32Array;
  readonly libraryPath: string;
}

/** retold::deduplicator through the C ABI. */
export class Deduplicator {
  constructor(options?: DeduplicatorOptions);
  /** Blocks the event loop while it reads the state: see loadAsync(). */
  static load(dir: string, overrides?: LoadOverrides): Deduplicator;
  static loadAsync(dir: string, overrides?: LoadOverrides): Promise<Deduplicator>;
  /** A Deduplicator over the same native state, in this thread (ClosedError when it was freed). */
  static attach(token: ShareToken): Deduplicator;
  share(): ShareToken;

  add(id: string, text: Text, fields?: { timestamp?: Timestamp; source?: string; title?: Text; vector?: Vector }): AddResult;
  addBatch(documents: Iterable<BatchDocument>): AddResult[];
  addBatchAsync(documents: Iterable<BatchDocument>): Promise<AddResult[]>;
  query(text: Text, options?: QueryOptions): Match[];
  queryVector(vector: Vector, options?: QueryOptions): Match[];
  contains(id: string): boolean;
  readonly size: number;
  clusterOf(id: string): number;
  representativeOf(id: string): string;
  cluster(clusterId: number | bigint): Cluster;
  clusters(minMembers?: number): Cluster[];
  stories(minMembers?: number): IterableIterator<Cluster>;
  explain(idA: string, idB: string): Explanation;
  stats(): Stats;
  readonly options: ResolvedOptions;
  remove(id: string): void;
  evictBefore(cutoff: Timestamp): number;
  save(dir: string, options?: { replace?: boolean }): void;
  saveAsync(dir: string, options?: { replace?: boolean }): Promise<void>;
  computeEmbedding(text: Text): Float32Array;
  computeSignature(text: Text): Signature;
  /** A document's features, nothing stored, no lock taken; throws what add() would. */
  prepare(document: BatchDocument): Prepared;
  /** Adds prepared documents with exactly addBatch()'s results; IncompatibleError (nothing stored) for another configuration. */
  addPreparedBatch(prepared: Iterable<Prepared>): AddResult[];
  /** Idempotent. With async calls in flight, the state goes when they finish. */
  close(): void;
  readonly closed: boolean;
}

/** An immutable MinHash signature with the configuration that made it. */
export class Signature {
  private constructor();
  static fromBytes(bytes: Uint8Array): Signature;
  values(): Uint32Array;
  toBytes(): Uint8Array;
  jaccard(other: Signature): number;
  readonly length: number;
  equals(other: Signature): boolean;
  close(): void;
}

/** One document's features with a deduplicator's configuration (no text), to add elsewhere. */
export class Prepared {
  private constructor();
  static fromBytes(bytes: Uint8Array): Prepared;
  toBytes(): Uint8Array;
  bandKeys(): Uint32Array;
  close(): void;
}

/** Pinned C status codes (retold.h). */
export declare const Status: {
  readonly OK: 0; readonly EINVALID: -1; readonly EUTF8: -2; readonly ENOTFOUND: -3; readonly EINCOMPATIBLE: -4;
  readonly EIO: -5; readonly ECORRUPTED: -6; readonly ENOMEM: -7; readonly ETOOLARGE: -8; readonly EDUPLICATE: -9;
  readonly EPARSE: -10; readonly ECONFLICT: -11; readonly EBUFSIZE: -30; readonly EINTERNAL: -99;
};

export type ErrorCode =
  | 'RETOLD_EINVALID' | 'RETOLD_EUTF8' | 'RETOLD_ENOTFOUND' | 'RETOLD_EINCOMPATIBLE' | 'RETOLD_EIO'
  | 'RETOLD_ECORRUPTED' | 'RETOLD_ENOMEM' | 'RETOLD_ETOOLARGE' | 'RETOLD_EDUPLICATE' | 'RETOLD_EPARSE'
  | 'RETOLD_ECONFLICT' | 'RETOLD_EBUFSIZE' | 'RETOLD_EINTERNAL';

/** Base class of every error retold throws. */
export class RetoldError extends Error {
  constructor(message: string, errno?: number);
  /** The pinned negative C status (Status.*). */
  readonly errno: number;
  /** "RETOLD_E..." for the status. */
  readonly code: ErrorCode | string;
}
export class InvalidArgumentError extends RetoldError {}
export class InvalidUtf8Error extends RetoldError {}
export class NotFoundError extends RetoldError {}
export class IncompatibleError extends RetoldError {}
export class IoError extends RetoldError {}
export class CorruptedStateError extends RetoldError {}
export class OutOfMemoryError extends RetoldError {}
export class TooLargeError extends RetoldError {}
export class DuplicateIdError extends RetoldError {}
export class ParseError extends RetoldError {}
export class ConflictError extends RetoldError {}
export class BufferTooSmallError extends RetoldError {}
export class InternalError extends RetoldError {}
export class ClosedError extends RetoldError {}

/** The loaded library's version, "major.minor.patch". */
export function version(): string;
/** Where to load libretold_c.so.1 from (a file or a build directory); before the first call. */
export function setLibraryPath(path: string): void;
/** The path the library was loaded from (loads it). */
export function libraryPath(): string;
/** Terminates the async worker threads (pending async calls reject). */
export function shutdownAsyncWorkers(): Promise<void>;
