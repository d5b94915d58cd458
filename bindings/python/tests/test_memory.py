"""Memory does not grow over many create/add/free cycles or many result-returning calls.

Resident set size is read from /proc (Linux). Thresholds are far below what a leak of one
deduplicator, one result list or one signature per cycle would add (measured growth is reported
in the assertion message)."""
import gc
import os

import pytest

import retold
from conftest import FOOTBALL, RATE, RATE_COPY

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc (Linux)")


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cycle(i):
    with retold.Deduplicator() as d:
        d.add(f"a{i}", RATE, timestamp=1, source="Wire")
        d.add(f"b{i}", RATE_COPY, timestamp=2)
        d.add_many([(f"c{i}", FOOTBALL)])
        d.query(RATE)
        d.clusters()


def test_create_add_free_cycles_do_not_grow():
    for i in range(200):  # warm up allocator caches and Python's free lists
        cycle(i)
    gc.collect()
    before = rss_bytes()
    for i in range(2000):
        cycle(i)
    gc.collect()
    grown = rss_bytes() - before
    # one leaked deduplicator holds several MiB (DF table, indexes): 2000 would be gigabytes
    assert grown < 8 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 2000 cycles"


def test_result_lists_and_handles_are_freed():
    with retold.Deduplicator(keep_text=True) as d:
        d.add("a", RATE)
        d.add("b", RATE_COPY)
        d.add("c", FOOTBALL)

        def calls():
            d.query(RATE, include_rejected=True)
            d.clusters()
            d.cluster(d.cluster_of("a"))
            d.explain("a", "b")
            d.compute_signature(RATE).close()
            d.representative_of("b")
            try:
                d.cluster_of("missing")
            except retold.NotFoundError:
                pass

        for _ in range(1000):
            calls()
        gc.collect()
        before = rss_bytes()
        for _ in range(20000):
            calls()
        gc.collect()
        grown = rss_bytes() - before
        # a leak of even 100 bytes per call set would show as 2 MB
        assert grown < 2 * 2**20, f"RSS grew by {grown / 2**20:.2f} MiB over 20000 call sets"
