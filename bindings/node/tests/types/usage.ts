// Type-checked (never run) by tests/types.test.js: every call of index.d.ts used as a program
// would, plus misuses that must not compile (@ts-expect-error fails the check if they do).
import {
  Deduplicator, Signature, RetoldError, NotFoundError, Status, version, setLibraryPath,
  AddResult, Match, Cluster, Explanation, Stats, ResolvedOptions, ShareToken, BatchDocument,
} from '../../index';

export async function usage(): Promise<string> {
  setLibraryPath('/opt/retold/lib');
  const v: string = version();
  const d = new Deduplicator({ sourcePriority: ['Reuters'], timeWindow: 3 * 86400, preset: 'retellings', minhashSeed: 5n });
  const r: AddResult = d.add('a', 'text', { timestamp: '2024-03-05T09:05:00Z', source: 'Reuters', vector: new Float32Array(4) });
  const joined: boolean = !r.newStory && r.leaderId !== null && (r.leaderScores?.score ?? 0) > 0.5;
  const docs: BatchDocument[] = [{ id: 'b', text: new Uint8Array([104, 105]) }, ['c', 'text']];
  const batch: AddResult[] = d.addBatch(docs);
  const later: AddResult[] = await d.addBatchAsync(docs);
  const firstError: RetoldError | TypeError | null = batch[0].error;
  const hits: Match[] = d.query('text', { topK: 3, includeRejected: true, timestamp: new Date(), minScore: 0.1 });
  const byVector: Match[] = d.queryVector([0.1, 0.2]);
  const stories: Cluster[] = d.clusters(2);
  for (const s of d.stories()) void s.members[0].scores.decision;
  const e: Explanation = d.explain('a', 'b');
  const st: Stats = d.stats();
  const o: ResolvedOptions = d.options;
  const n: number = d.size + d.clusterOf('a') + d.evictBefore(100) + st.addSeconds.embed + e.probability;
  const rep: string = d.representativeOf('a');
  d.remove('a');
  d.save('state', { replace: true });
  await d.saveAsync('state');
  const back: Deduplicator = await Deduplicator.loadAsync('state', { timeWindow: 3600, decision: 'rule' });
  const token: ShareToken = back.share();
  const other = Deduplicator.attach(token);
  const sig: Signature = d.computeSignature('text');
  const same: boolean = Signature.fromBytes(sig.toBytes()).equals(sig) && sig.jaccard(sig) === 1 && sig.values().length === sig.length;
  const emb: Float32Array = d.computeEmbedding('text');
  try {
    d.clusterOf('missing');
  } catch (err) {
    if (err instanceof NotFoundError && err.errno === Status.ENOTFOUND && err.code === 'RETOLD_ENOTFOUND') return err.message;
  }
  // @ts-expect-error an unknown option
  new Deduplicator({ numHash: 3 });
  // @ts-expect-error structural options cannot be overridden on load
  Deduplicator.load('state', { numHashes: 64 });
  // @ts-expect-error ids are strings
  d.add(42, 'text');
  // @ts-expect-error Signature has no public constructor
  new Signature();
  other.close();
  back.close();
  d.close();
  return `${v} ${joined} ${later.length} ${firstError} ${hits.length} ${byVector.length} ${stories.length} ${o.numHashes} ${n} ${rep} ${same} ${emb.length}`;
}
