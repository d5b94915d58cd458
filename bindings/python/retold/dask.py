"""retold.dask: the nightly dedup spread over a Dask cluster, with the stories one process gives.

    import dask.bag as db, retold.dask
    docs = db.read_text("night-*.jsonl", blocksize="64MiB").map(json.loads)
    stories = retold.dask.deduplicate(docs, embedding="none", time_window=3 * 86400)
    stories.to_parquet("stories/")          # or .compute() for a pandas DataFrame

How a run is spread (docs/scaling.md has the measurements and the sizing):
  1. prepare: every input partition builds one Deduplicator with the options and calls
     prepare() on its documents (normalize, shingle, sign, band, sketch; terms or the caller's
     vector). Only the prepared bytes (about 1-2 KB a document) and the band keys leave the
     partition: features move, texts do not.
  2. positions: the input order is made explicit, a global `position` per document (partition
     offsets + row), so that everything later is independent of how Dask schedules.
  3. candidates: the rows (band, band key, position) are grouped by (band, key) - documents
     sharing a band meet there, and each meets the earliest of its bucket (a star, not all
     pairs). With vectors (embedding "external" or "builtin"), documents are blocked by time
     (blocks of the time window; each block searched with the one before it, numpy brute force
     on one worker per block), giving each document its nearest earlier vectors.
  4. components: connected components of those edges by min-label propagation with pointer
     jumping over Dask dataframes until no label changes (no machine holds all edges).
  5. stories: each component's prepared documents go to one worker, in global input order, into
     a fresh Deduplicator with the same options (add_prepared): the library's own leader
     clustering and representative policy. Story ids are made global and equal to one process's
     (1, 2, 3, ... in input order of the documents that opened a story).

Same input, same stories: a document's story depends only on the documents connected to it by
candidate edges, and every LSH candidate pair of the library shares a (band, key). So with
embedding="none" (lexical matching; the threshold rule or the model decision, any time window)
the result is exactly the single-process one, story partition, ids and representatives included
(tests/test_dask.py checks it). With vectors it is approximate: the built-in embedder's document
frequencies and the cosine calibration grow with the whole corpus in one process but with one
component here, and one process takes each document's nearest vectors among ALL earlier
documents where this takes them within time blocks. bench/e2e_dask.py and docs/scaling.md give
the measured agreement.

Workers import this package and load libretold_c like any other process: RETOLD_LIBRARY, the
library bundled next to the package, or the system's library path.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

import numpy as np
import pandas as pd

import dask
import dask.bag as db
import dask.dataframe as dd

from ._dedup import Deduplicator, Prepared, _timestamp
from ._errors import InvalidArgumentError, RetoldError

__all__ = ["deduplicate", "agreement", "RESULT_COLUMNS"]

#: Columns of the result (index: `position`, the document's place in the input order).
RESULT_COLUMNS = ["id", "story", "representative", "leader", "matched", "decision", "score", "error"]

_INPUT_COLUMNS = ["id", "text", "title", "timestamp", "source", "vector"]

_PREP_META = pd.DataFrame({
    "part": pd.Series([], dtype="int64"),
    "row": pd.Series([], dtype="int64"),
    "id": pd.Series([], dtype="object"),
    "timestamp": pd.Series([], dtype="int64"),
    "blob": pd.Series([], dtype="object"),
    "keys": pd.Series([], dtype="object"),
    "vec": pd.Series([], dtype="object"),
    "error": pd.Series([], dtype="object"),
})

_OUT_META = pd.DataFrame({
    "position": pd.Series([], dtype="int64"),
    "id": pd.Series([], dtype="object"),
    "leader_position": pd.Series([], dtype="int64"),
    "representative": pd.Series([], dtype="object"),
    "leader": pd.Series([], dtype="object"),
    "matched": pd.Series([], dtype="object"),
    "decision": pd.Series([], dtype="object"),
    "score": pd.Series([], dtype="float64"),
    "error": pd.Series([], dtype="object"),
})


# ---------------------------------------------------------------- stage 1: prepare

def _records_to_frame(records) -> pd.DataFrame:
    rows = list(records)
    cols = {c: [r.get(c) if isinstance(r, dict) else getattr(r, c, None) for r in rows] for c in _INPUT_COLUMNS}
    return pd.DataFrame(cols, columns=_INPUT_COLUMNS)


def _value(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _prepare_partition(pdf: pd.DataFrame, options: Dict[str, Any], want_vectors: str,
                       partition_info=None) -> pd.DataFrame:
    """One input partition -> prepared rows. `want_vectors`: "" (none), "external" (the caller's
    vector, normalized) or "builtin" (an embedding by a fresh embedder, for the time-block search
    only: the library embeds again when the document is added)."""
    n = len(pdf)
    part = partition_info["number"] if partition_info else 0
    ids: List[Any] = [None] * n
    ts = np.zeros(n, dtype="int64")
    blobs: List[Optional[bytes]] = [None] * n
    keys: List[Optional[np.ndarray]] = [None] * n
    vecs: List[Optional[np.ndarray]] = [None] * n
    errors: List[Optional[str]] = [None] * n
    get = {c: (pdf[c].tolist() if c in pdf.columns else [None] * n) for c in _INPUT_COLUMNS}
    with Deduplicator(**options) as d:
        for i in range(n):
            doc_id = _value(get["id"][i])
            ids[i] = None if doc_id is None else str(doc_id)
            try:
                t = _timestamp(_value(get["timestamp"][i]))
                ts[i] = t
                text = _value(get["text"][i])
                title = _value(get["title"][i])
                vector = get["vector"][i]
                if vector is not None and not isinstance(vector, np.ndarray) and _value(vector) is None:
                    vector = None
                p = d.prepare(ids[i] if ids[i] is not None else "", text if text is not None else "",
                              timestamp=t, source=_value(get["source"][i]), title=title, vector=vector)
                blobs[i] = p.to_bytes()
                keys[i] = np.asarray(p.band_keys(), dtype="int64")
                p.close()
                if want_vectors == "external":
                    v = np.asarray(vector, dtype="float32")
                    norm = float(np.linalg.norm(v))
                    vecs[i] = v / norm if norm > 0 else v
                elif want_vectors == "builtin":
                    body = text if text is not None else ""
                    vecs[i] = np.asarray(d.compute_embedding(f"{title}\n\n{body}" if title else body), dtype="float32")
            except (RetoldError, TypeError, ValueError) as e:
                errors[i] = str(e)
    return pd.DataFrame({"part": np.full(n, part, dtype="int64"), "row": np.arange(n, dtype="int64"),
                         "id": ids, "timestamp": ts, "blob": blobs, "keys": keys, "vec": vecs, "error": errors},
                        columns=list(_PREP_META.columns))


def _with_positions(pdf: pd.DataFrame, offsets: List[int], partition_info=None) -> pd.DataFrame:
    offset = offsets[partition_info["number"]] if partition_info else 0
    out = pdf.drop(columns=["part", "row"])
    out.insert(0, "pos", offset + pdf["row"].to_numpy(dtype="int64"))
    return out


# ---------------------------------------------------------------- stage 3: candidate edges

def _band_rows(pdf: pd.DataFrame) -> pd.DataFrame:
    """(bucket, pos) per band of every valid document: bucket = band << 32 | key."""
    ok = pdf[pdf["error"].isna()]
    pos_parts, bucket_parts = [], []
    for pos, k in zip(ok["pos"].to_numpy(), ok["keys"]):
        if k is None or len(k) == 0:
            continue
        pos_parts.append(np.full(len(k), pos, dtype="int64"))
        bucket_parts.append((np.arange(len(k), dtype="int64") << 32) | k)
    if not pos_parts:
        return pd.DataFrame({"bucket": pd.Series([], dtype="int64"), "pos": pd.Series([], dtype="int64")})
    return pd.DataFrame({"bucket": np.concatenate(bucket_parts), "pos": np.concatenate(pos_parts)})


def _block_rows(pdf: pd.DataFrame, block_seconds: int) -> pd.DataFrame:
    """Each document with a vector goes to its time block (as a query) and the next one (as a
    neighbour candidate only), so every block sees its documents and the block before."""
    ok = pdf[pdf["error"].isna() & pdf["vec"].notna()]
    blocks = ok["timestamp"].to_numpy(dtype="int64") // block_seconds
    own = pd.DataFrame({"block": blocks, "pos": ok["pos"].to_numpy(), "query": True, "vec": ok["vec"].to_numpy()})
    nxt = pd.DataFrame({"block": blocks + 1, "pos": ok["pos"].to_numpy(), "query": False, "vec": ok["vec"].to_numpy()})
    return pd.concat([own, nxt], ignore_index=True)


def _block_neighbours(group: pd.DataFrame, k: int) -> pd.DataFrame:
    """The k nearest EARLIER documents (by position) of each query document of one block."""
    empty = pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="int64")})
    if k <= 0 or len(group) < 2:
        return empty
    group = group.sort_values("pos")
    base_pos = group["pos"].to_numpy(dtype="int64")
    base = np.stack(group["vec"].to_numpy()).astype("float32", copy=False)
    q = group[group["query"].to_numpy(dtype=bool)]
    q_pos = q["pos"].to_numpy(dtype="int64")
    qv = np.stack(q["vec"].to_numpy()).astype("float32", copy=False) if len(q) else np.zeros((0, base.shape[1]), "float32")
    a_parts, b_parts = [], []
    for s in range(0, len(q_pos), 1024):
        cos = qv[s:s + 1024] @ base.T
        qp = q_pos[s:s + 1024]
        cos[base_pos[None, :] >= qp[:, None]] = -np.inf  # earlier documents only
        kk = min(k, base.shape[0])
        top = np.argpartition(-cos, kk - 1, axis=1)[:, :kk]
        vals = np.take_along_axis(cos, top, axis=1)
        rows, cols = np.nonzero(np.isfinite(vals))
        a_parts.append(qp[rows])
        b_parts.append(base_pos[top[rows, cols]])
    if not a_parts:
        return empty
    return pd.DataFrame({"a": np.concatenate(a_parts), "b": np.concatenate(b_parts)})


# ---------------------------------------------------------------- stage 4: components

def _rename_axis(pdf, name):
    return pdf.rename_axis(name)


def _keyed(frame, name: str):
    """`frame` with its index renamed: a merge of a column with an index of the same name is
    ambiguous to pandas."""
    return frame.map_partitions(_rename_axis, name)


def _components(edges: dd.DataFrame, npartitions: int, rounds: Optional[list] = None,
                max_rounds: int = 200) -> dd.Series:
    """Min-label propagation with pointer jumping. `edges` has columns a, b (node ids). Returns
    a Series node -> the smallest node of its component, for every node on an edge. `rounds`,
    when a list, receives the number of labels changed in each round."""
    both = dd.concat([edges.rename(columns={"a": "src", "b": "dst"}),
                      edges.rename(columns={"a": "dst", "b": "src"})[["src", "dst"]]])
    both = both.persist()
    # first round: a node's label is the smallest of itself and its neighbours
    label = _keyed(both.groupby("src", sort=False)["dst"].min(split_out=npartitions).to_frame("label"), "node")
    label["label"] = label["label"].where(label["label"] < label.index.to_series(), label.index.to_series())
    label = label.persist()
    for _ in range(max_rounds):
        # each node takes the smallest label among its neighbours' ...
        nb = both.merge(label, left_on="dst", right_index=True, how="inner")
        cand = _keyed(nb.groupby("src", sort=False)["label"].min(split_out=npartitions).to_frame("cand"), "node")
        new = label.merge(cand, left_index=True, right_index=True, how="left")
        new["label"] = new["label"].where(new["cand"].isna() | (new["label"] <= new["cand"]),
                                          new["cand"]).astype("int64")
        new = new[["label"]]
        # ... and jumps: the label of its label
        jump = new.merge(new.rename(columns={"label": "jump"}), left_on="label", right_index=True, how="left")
        jump["label"] = jump["label"].where(jump["jump"].isna() | (jump["label"] <= jump["jump"]),
                                            jump["jump"]).astype("int64")
        new = jump[["label"]].persist()
        changed = new.merge(label.rename(columns={"label": "old"}), left_index=True, right_index=True)
        n_changed = int((changed["label"] != changed["old"]).sum().compute())
        label = new
        if rounds is not None:
            rounds.append(n_changed)
        if n_changed == 0:
            return label["label"]
    raise RetoldError(f"retold.dask: connected components did not converge in {max_rounds} rounds")


# ---------------------------------------------------------------- stage 5: stories

def _decision_of(r) -> str:
    return r.leader_scores.decision if r.leader_scores is not None else "new"


def _replay_partition(pdf: pd.DataFrame, options: Dict[str, Any], per_component: bool) -> pd.DataFrame:
    """The documents of whole components, in global input order, through add_prepared. With
    `per_component` every component gets its own Deduplicator (vector modes); else one
    Deduplicator takes them all (lexical mode: components cannot see each other)."""
    pdf = pdf.sort_values("pos")
    out = {c: [] for c in _OUT_META.columns}

    def emit(pos, doc_id, leader_pos, rep, leader, matched, decision, score, error):
        for c, v in zip(_OUT_META.columns, (pos, doc_id, leader_pos, rep, leader, matched, decision, score, error)):
            out[c].append(v)

    def run(frame: pd.DataFrame):
        poss = frame["pos"].tolist()
        ids = frame["id"].tolist()
        if len(poss) == 1 and per_component:  # nothing to match: it opens its story
            emit(poss[0], ids[0], poss[0], ids[0], ids[0], None, "new", 1.0, None)
            return
        with Deduplicator(**options) as d:
            results = d.add_prepared(frame["blob"].tolist())
            opener: Dict[int, int] = {}  # local story id -> position of the document that opened it
            for pos, doc_id, r in zip(poss, ids, results):
                if r.error is not None:  # cannot happen: duplicates were removed before
                    emit(pos, doc_id, -1, None, None, None, "skipped", 0.0, str(r.error))
                    continue
                if r.new_story:
                    opener[r.cluster_id] = pos
            lead_id = {p: i for p, i in zip(poss, ids)}
            for pos, doc_id, r in zip(poss, ids, results):
                if r.error is not None:
                    continue
                lp = opener[r.cluster_id]
                emit(pos, doc_id, lp, d.representative_of(doc_id), lead_id[lp], r.leader_id, _decision_of(r),
                     float(r.leader_scores.score) if r.leader_scores is not None else 1.0, None)

    if per_component:
        for _, frame in pdf.groupby("comp", sort=False):
            run(frame)
    elif len(pdf):
        run(pdf)
    return pd.DataFrame(out, columns=list(_OUT_META.columns)).astype(
        {"position": "int64", "leader_position": "int64", "score": "float64"})


def _skipped_rows(pdf: pd.DataFrame) -> pd.DataFrame:
    bad = pdf[pdf["error"].notna()]
    n = len(bad)
    return pd.DataFrame({"position": bad["pos"].to_numpy(dtype="int64"), "id": bad["id"].to_numpy(),
                         "leader_position": np.full(n, -1, dtype="int64"), "representative": [None] * n,
                         "leader": [None] * n, "matched": [None] * n, "decision": ["skipped"] * n,
                         "score": np.zeros(n), "error": bad["error"].to_numpy()},
                        columns=list(_OUT_META.columns))


def _number_stories(pdf: pd.DataFrame, offsets: List[int], partition_info=None) -> pd.DataFrame:
    """Openers of one partition sorted by position -> their global story ids (offset + rank)."""
    offset = offsets[partition_info["number"]] if partition_info else 0
    return pd.DataFrame({"story": offset + np.arange(1, len(pdf) + 1, dtype="int64")}, index=pdf.index)


class _Clock:
    """Stage timings for `stats`: with a distributed client, waits for each persisted stage so
    its time is its own (without stats nothing waits: Dask overlaps the stages)."""

    def __init__(self, stats):
        import time
        self._time = time.perf_counter
        self.on = stats is not None
        self.laps: Dict[str, float] = {}
        self._last = self._time()

    def settle(self, collection):
        if self.on:
            try:
                from distributed import wait
                wait(collection)
            except (ImportError, ValueError):  # no distributed client: persist() already computed
                pass
        return collection

    def lap(self, name: str) -> None:
        if self.on:
            now = self._time()
            self.laps[name] = now - self._last
            self._last = now


def _blob_bytes(pdf: pd.DataFrame) -> int:
    return int(sum(len(b) for b in pdf["blob"] if b is not None))


# ---------------------------------------------------------------- the entry point

def _as_frame(documents) -> dd.DataFrame:
    if isinstance(documents, db.Bag):
        parts = [dask.delayed(_records_to_frame)(p) for p in documents.to_delayed()]
        meta = pd.DataFrame({c: pd.Series([], dtype="object") for c in _INPUT_COLUMNS})
        return dd.from_delayed(parts, meta=meta, verify_meta=False)
    if isinstance(documents, dd.DataFrame):
        if "id" not in documents.columns or "text" not in documents.columns:
            raise InvalidArgumentError("retold.dask.deduplicate: the dataframe needs columns 'id' and 'text' "
                                       f"(it has {list(documents.columns)})")
        return documents
    raise TypeError("retold.dask.deduplicate takes a dask.bag.Bag of dicts or a dask.dataframe.DataFrame, "
                    f"not {type(documents).__name__}")


def deduplicate(documents, *, time_block: Optional[int] = None, npartitions: Optional[int] = None,
                stats: Optional[dict] = None, **options) -> dd.DataFrame:
    """Deduplicates a Dask bag of dicts or a Dask dataframe of documents (keys/columns id, text,
    and optionally title, timestamp (seconds, datetime or ISO 8601), source, vector) with the
    Deduplicator `options` (the keyword options of retold.Deduplicator), on the current Dask
    scheduler (a distributed.Client if one is active).

    Returns a Dask dataframe indexed by `position` (the document's place in the input order:
    partition after partition, row after row) with the columns
      id, story (the story id: those of one process over the same input, 1, 2, 3, ... in input
      order of the documents that opened a story; 0 for a skipped document), representative (the
      story's representative by the library's policy), leader (the story's first document, which
      every member matched or copied), matched (the member that decided when the document
      joined: the leader, or the member it copies; None when it opened the story), decision
      ("new" when it opened the story, else "jaccard", "cosine", "combined" or "model"), score
      (against `matched`; 1.0 for "new"), error (why a document was skipped: invalid input, or a
      repeated id - the first occurrence is kept, as one process keeps it; else None).

    Exact with embedding="none" (see the module comment); with vectors the semantic candidates
    come from time blocks of `time_block` seconds (default: the time window, or one day without
    one), each searched together with the block before it.

    The function computes as it goes (component rounds need answers), so the cluster does the
    work before it returns; the returned dataframe is persisted. `stats`, when a dict, receives
    counts (documents, band rows, edges, component rounds, prepared bytes).
    """
    frame = _as_frame(documents)
    clock = _Clock(stats)
    with Deduplicator(**options) as probe:  # refuses bad options here, before any task runs
        resolved = probe.options
    mode = resolved["embedding"]
    want_vectors = "" if mode == "none" or resolved["vector_candidates"] == 0 else mode
    nparts = npartitions or max(1, frame.npartitions)
    block = int(time_block or resolved["time_window"] or 86400)
    if block <= 0:
        raise InvalidArgumentError("retold.dask.deduplicate: time_block must be > 0 seconds")

    # 1. prepare in partitions
    prepared = clock.settle(frame.map_partitions(_prepare_partition, options, want_vectors, meta=_PREP_META).persist())
    clock.lap("prepare")
    # 2. global positions
    lengths = prepared.map_partitions(len).compute().tolist()
    total = int(sum(lengths))
    if total == 0:
        empty = _OUT_META.rename(columns={"leader_position": "story"}).set_index("position")[RESULT_COLUMNS]
        return dd.from_pandas(empty, npartitions=1)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype("int64").tolist()
    prep = prepared.map_partitions(_with_positions, offsets, meta=_with_positions(_PREP_META, [0]))
    # a repeated id: the first occurrence is kept, the later ones are skipped (as add_batch does)
    first = prep[prep["error"].isna()][["id", "pos"]].groupby("id", sort=False)["pos"].min(split_out=nparts)
    first = _keyed(first.to_frame("first"), "first_id")
    prep = prep.merge(first, left_on="id", right_index=True, how="left")
    repeated = prep["error"].isna() & (prep["first"] != prep["pos"])
    prep["error"] = prep["error"].where(~repeated, "document id '" + prep["id"].astype(str) + "' is already stored")
    prep = clock.settle(prep.drop(columns=["first"]).persist())
    clock.lap("positions_and_repeated_ids")

    # 3. candidate edges: band buckets (star to the earliest member), time-block neighbours
    bands = prep.map_partitions(_band_rows, meta={"bucket": "int64", "pos": "int64"})
    roots = _keyed(bands.groupby("bucket", sort=False)["pos"].min(split_out=nparts).to_frame("root"), "root_bucket")
    lex = bands.merge(roots, left_on="bucket", right_index=True)
    lex = lex[lex["pos"] != lex["root"]].rename(columns={"pos": "a", "root": "b"})[["a", "b"]]
    edge_parts = [lex]
    if want_vectors:
        rows = prep.map_partitions(_block_rows, block, meta={"block": "int64", "pos": "int64", "query": "bool",
                                                             "vec": "object"})
        sem = rows.groupby("block", sort=False).apply(_block_neighbours, resolved["vector_candidates"],
                                          meta={"a": "int64", "b": "int64"})
        edge_parts.append(sem)
    edges = clock.settle(dd.concat(edge_parts).drop_duplicates(split_out=nparts).persist())
    clock.lap("candidate_edges")

    # 4. components
    rounds: list = []
    comp = _components(edges, nparts, rounds)
    clock.lap("components")

    # 5. stories: whole components to one task each, in input order
    valid = prep[prep["error"].isna()][["pos", "id", "blob"]]
    valid = valid.merge(_keyed(comp.to_frame("comp"), "comp_node"), left_on="pos", right_index=True, how="left")
    valid["comp"] = valid["comp"].fillna(valid["pos"]).astype("int64")
    valid = valid.shuffle("comp", npartitions=nparts)
    replayed = valid.map_partitions(_replay_partition, options, bool(want_vectors), meta=_OUT_META)
    skipped = prep.map_partitions(_skipped_rows, meta=_OUT_META)
    result = clock.settle(dd.concat([replayed, skipped]).persist())
    clock.lap("stories_replay")

    # global story ids: rank of each story's opener in input order
    openers = result[result["leader_position"] == result["position"]][["position"]]
    # positions are dense (0 .. total-1): the sort's divisions are known, no sampling pass
    divisions = list(range(0, total, -(-total // nparts)))
    if divisions[-1] != total - 1 or len(divisions) == 1:
        divisions.append(total - 1)
    openers = openers.set_index("position", divisions=divisions)
    counts = openers.map_partitions(len).compute().tolist()
    story_offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype("int64").tolist()
    numbered = _keyed(openers, "opener").map_partitions(_number_stories, story_offsets,
                                      meta=pd.DataFrame({"story": pd.Series([], dtype="int64")}))
    out = result.merge(numbered, left_on="leader_position", right_index=True, how="left")
    out["story"] = out["story"].fillna(0).astype("int64")
    out = clock.settle(out[["position"] + RESULT_COLUMNS].set_index("position", divisions=divisions).persist())
    clock.lap("story_ids_and_sort")
    if stats is not None:
        stats["documents"] = total
        stats["band_rows"] = int(sum(bands.map_partitions(len).compute()))
        stats["edges"] = int(sum(edges.map_partitions(len).compute()))
        stats["prepared_bytes"] = int(sum(prep.map_partitions(_blob_bytes).compute()))
        stats["stories"] = int(sum(counts))
        stats["component_rounds"] = rounds
        stats["seconds"] = clock.laps
    return out


def agreement(reference: Dict[str, int], other: Dict[str, int]) -> Dict[str, float]:
    """How far two story assignments (document id -> story id; ids need not be equal, only the
    partition counts) agree, over the documents of `reference`: `identical` is the share of
    documents whose story has exactly the same members in both, `pair_precision` and
    `pair_recall` are over same-story pairs (`other` against `reference`), `ari` the adjusted Rand
    index (1 = the same partition). Pure Python/numpy; for tests and benchmarks."""
    ids = list(reference)
    ref = pd.factorize(pd.Series([reference[i] for i in ids]))[0]
    oth = pd.factorize(pd.Series([other.get(i, -1 - k) for k, i in enumerate(ids)]))[0]
    n = len(ids)
    if n == 0:
        return {"documents": 0, "identical": 1.0, "pair_precision": 1.0, "pair_recall": 1.0, "ari": 1.0}

    def pairs(counts):
        counts = np.asarray(counts, dtype="float64")
        return float((counts * (counts - 1) / 2).sum())

    joint = pd.Series(ref * (int(oth.max()) + 1) + oth).value_counts().to_numpy()
    a = pd.Series(ref).value_counts().to_numpy()
    b = pd.Series(oth).value_counts().to_numpy()
    both, in_ref, in_oth, total = pairs(joint), pairs(a), pairs(b), n * (n - 1) / 2
    expected = in_ref * in_oth / total if total else 0.0
    top = 0.5 * (in_ref + in_oth) - expected
    ari = 1.0 if top == 0 else (both - expected) / top
    # identical: the document's story has the same members in both
    frame = pd.DataFrame({"ref": ref, "oth": oth})
    size_ref = frame.groupby("ref")["ref"].transform("size")
    size_oth = frame.groupby("oth")["oth"].transform("size")
    size_joint = frame.groupby(["ref", "oth"])["ref"].transform("size")
    identical = float(((size_ref == size_joint) & (size_oth == size_joint)).mean())
    return {"documents": n, "identical": identical,
            "pair_precision": both / in_oth if in_oth else 1.0,
            "pair_recall": both / in_ref if in_ref else 1.0, "ari": float(ari)}
