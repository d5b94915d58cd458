"""retold.dask on a distributed.LocalCluster with two worker processes: the same stories as one
process (exact configuration: embedding "none") on the seed corpus and on a generated corpus of
50,000 documents, also when a worker process is killed mid-run; the difference in the default
configuration (built-in embedder) is measured and printed, asserted only for sanity.

Needs python3-dask and python3-distributed (bindings/python/setup.sh installs them); skipped with
a message when dask is not importable."""
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

dask = pytest.importorskip("dask", reason="python3-dask is not installed (bindings/python/setup.sh)")
distributed = pytest.importorskip("distributed",
                                  reason="python3-distributed is not installed (bindings/python/setup.sh)")
import dask.bag as db  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402

import retold  # noqa: E402
import retold.dask as rdask  # noqa: E402

EXACT = dict(embedding="none", time_window=3 * 86400, source_priority=["Reuters", "AP"])
GENERATED_DOCS = 50_000


def _generator() -> Path:
    build = os.environ.get("RETOLD_BUILD_DIR")
    if not build and os.environ.get("RETOLD_LIBRARY"):
        build = str(Path(os.environ["RETOLD_LIBRARY"]).resolve().parent)
    gen = Path(build or "build") / "bench" / "e2e_nightly_gen"
    if not gen.exists():
        if os.environ.get("RETOLD_TEST_INSTALLED") == "1":
            pytest.skip(f"{gen} not found (an installed package has no build directory)")
        pytest.fail(f"{gen} not found: build the e2e_nightly_gen target (bench/) in RETOLD_BUILD_DIR")
    return gen


@pytest.fixture(scope="module")
def client():
    # Workers are new processes: they import retold from the same source tree and load the same
    # libretold_c (RETOLD_LIBRARY is inherited).
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(Path(retold.__file__).resolve().parent.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("dask") / "generated.jsonl"
    subprocess.run([str(_generator()), "--docs", str(GENERATED_DOCS), "--out", str(out),
                    "--truth", str(out.with_suffix(".truth.tsv"))], check=True, stdout=subprocess.DEVNULL)
    return out


def single_process(path, **options):
    """id -> (story, representative, leader) from one Deduplicator over the file in order."""
    with open(path, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    out = {}
    with retold.Deduplicator(**options) as d:
        results = d.add_many(docs, batch_size=4096)
        leaders = {c.id: (c.representative, c.leader) for c in d.clusters()}
        for doc, r in zip(docs, results):
            if r.error is None:
                out[doc["id"]] = (r.cluster_id,) + leaders[r.cluster_id]
    return out


def distributed_run(path, blocksize, stats=None, **options):
    bag = db.read_text(str(path), blocksize=blocksize).map(json.loads)
    result = rdask.deduplicate(bag, stats=stats, **options).compute()
    assert list(result.columns) == rdask.RESULT_COLUMNS
    assert result.index.is_monotonic_increasing and result.index.name == "position"
    return result


def as_dict(result: pd.DataFrame):
    ok = result[result["error"].isna()]
    return {r.id: (r.story, r.representative, r.leader) for r in ok.itertuples()}


def expect_same(want, got):
    assert set(got) == set(want)
    differ = [k for k in want if want[k] != got[k]]
    assert not differ, f"{len(differ)} documents differ, e.g. {[(k, want[k], got[k]) for k in differ[:3]]}"


@pytest.mark.parametrize("decision", ["rule", "model"])
def test_seed_corpus_equals_one_process(client, seeds_dir, decision):
    # lexical matching is exact with either decision: both score a pair from its two documents
    path = seeds_dir / "corpus.jsonl"
    options = dict(EXACT, decision=decision)
    want = single_process(path, **options)
    got = distributed_run(path, "8kB", **options)  # several input partitions
    expect_same(want, as_dict(got))
    assert got["story"].max() == len({v[0] for v in want.values()})
    if decision == "rule":  # the copies of the seed corpus were found (the model, fitted with
        assert (got["decision"] != "new").sum() >= 3  # cosines, finds none without them)


def test_generated_corpus_equals_one_process(client, generated):
    stats = {}
    t0 = time.perf_counter()
    want = single_process(generated, **EXACT)
    t1 = time.perf_counter()
    got = distributed_run(generated, "16MB", stats=stats, **EXACT)
    t2 = time.perf_counter()
    assert len(got) == GENERATED_DOCS
    expect_same(want, as_dict(got))
    assert stats["documents"] == GENERATED_DOCS
    assert stats["stories"] == len({v[0] for v in want.values()})
    assert stats["stories"] < GENERATED_DOCS * 0.9  # the planted duplicates were merged
    print(f"\n{GENERATED_DOCS} documents, exact configuration: one process {t1 - t0:.1f} s, "
          f"Dask 2 workers {t2 - t1:.1f} s; prepared bytes {stats['prepared_bytes'] / GENERATED_DOCS:.0f} "
          f"per document, band rows {stats['band_rows'] / GENERATED_DOCS:.0f} per document, "
          f"edges {stats['edges']}, stories {stats['stories']}")


def test_a_killed_worker_gives_the_same_stories(client, generated, tmp_path):
    # a smaller slice of the generated corpus keeps the test short
    path = tmp_path / "slice.jsonl"
    with open(generated, encoding="utf-8") as f, open(path, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            if i == 12_000:
                break
            out.write(line)
    want = single_process(path, **EXACT)
    outcome = {}

    def run():
        try:
            outcome["result"] = distributed_run(path, "2MB", **EXACT)
        except BaseException as e:  # reported below
            outcome["error"] = e

    worker = threading.Thread(target=run)
    worker.start()
    # kill a worker process once the run has tasks in flight
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(client.processing().values()):
        time.sleep(0.05)
    time.sleep(0.5)
    assert worker.is_alive(), "the run ended before a worker could be killed: make the slice larger"
    pids = client.run(os.getpid)
    victim_address, victim = sorted(pids.items())[0]
    os.kill(victim, signal.SIGKILL)
    worker.join(timeout=300)
    assert not worker.is_alive(), "the run did not finish after a worker was killed"
    if "error" in outcome:
        raise outcome["error"]
    expect_same(want, as_dict(outcome["result"]))
    # the nanny restarted the killed worker process
    client.wait_for_workers(2, timeout=60)
    assert victim not in client.run(os.getpid).values()


def test_dataframe_input_and_skipped_documents(client):
    rows = [
        {"id": "a", "text": "The minister said on Tuesday that talks would resume in Geneva next week.",
         "timestamp": 100, "source": "AP", "title": None},
        {"id": "b", "text": "The minister said on Tuesday that talks would resume in Geneva next week, "
                            "officials said.", "timestamp": 100, "source": "Reuters", "title": None},
        {"id": "", "text": "no id", "timestamp": 300, "source": None, "title": None},
        {"id": "a", "text": "A repeated id is skipped, as one process skips it.", "timestamp": 400,
         "source": None, "title": None},
        {"id": "c", "text": "Heavy rain is expected across the western provinces through Thursday.",
         "timestamp": 500, "source": "AFP", "title": "Rain"},
    ]
    frame = dd.from_pandas(pd.DataFrame(rows), npartitions=2)
    got = rdask.deduplicate(frame, **EXACT).compute()
    assert list(got.index) == [0, 1, 2, 3, 4]
    assert list(got["story"]) == [1, 1, 0, 0, 2]
    assert got.loc[1, "representative"] == "b"  # same time: source priority, Reuters first
    assert got.loc[1, "matched"] == "a" and got.loc[1, "decision"] != "new"
    assert got.loc[0, "decision"] == "new" and got.loc[0, "score"] == 1.0
    assert "empty" in got.loc[2, "error"] and "already stored" in got.loc[3, "error"]
    with pytest.raises(retold.InvalidArgumentError):
        rdask.deduplicate(frame, embedding="sideways")
    with pytest.raises(TypeError):
        rdask.deduplicate([{"id": "x", "text": "y"}])


def test_default_configuration_difference_is_measured(client, generated, tmp_path, seeds_dir):
    # The built-in embedder: document frequencies and the cosine calibration grow with the whole
    # corpus in one process, with one component in the replay; the semantic candidates come from
    # time blocks. Not exact by design: the agreement is printed (docs/scaling.md) and checked
    # only for sanity.
    path = tmp_path / "slice.jsonl"
    with open(generated, encoding="utf-8") as f, open(path, "w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            if i == 10_000:
                break
            out.write(line)
    for name, p, block in (("seed corpus", seeds_dir / "corpus.jsonl", "8kB"), ("10,000 generated", path, "4MB")):
        want = {k: v[0] for k, v in single_process(p).items()}
        got = {k: v[0] for k, v in as_dict(distributed_run(p, block)).items()}
        a = rdask.agreement(want, got)
        print(f"\ndefault configuration, {name}: identical stories {a['identical']:.4f}, pair precision "
              f"{a['pair_precision']:.4f}, pair recall {a['pair_recall']:.4f}, ARI {a['ari']:.4f}")
        assert a["documents"] == len(want)
        assert a["ari"] > 0.5 and a["identical"] > 0.5


def test_empty_and_single_document_inputs(client):
    empty = dd.from_pandas(pd.DataFrame({"id": pd.Series([], dtype=object), "text": pd.Series([], dtype=object)}),
                           npartitions=1)
    got = rdask.deduplicate(empty, **EXACT).compute()
    assert len(got) == 0 and list(got.columns) == rdask.RESULT_COLUMNS
    one = dd.from_pandas(pd.DataFrame({"id": ["x"], "text": ["one lonely report about nothing at all"]}),
                         npartitions=1)
    got = rdask.deduplicate(one, **EXACT).compute()
    assert list(got["story"]) == [1] and got.loc[0, "representative"] == "x" and got.loc[0, "leader"] == "x"


def test_agreement_measure():
    same = rdask.agreement({"a": 1, "b": 1, "c": 2}, {"a": 7, "b": 7, "c": 3})
    assert same == {"documents": 3, "identical": 1.0, "pair_precision": 1.0, "pair_recall": 1.0, "ari": 1.0}
    split = rdask.agreement({"a": 1, "b": 1, "c": 2}, {"a": 1, "b": 2, "c": 3})
    assert split["pair_recall"] == 0.0 and split["identical"] == pytest.approx(1 / 3)
