"""One Deduplicator shared by Python threads: ctypes releases the GIL, the C library locks."""
import random
import string
import threading

import pytest

import retold

WRITERS, READERS, PER_WRITER = 3, 3, 40


def text_of(writer, i):
    rnd = random.Random(writer * 100003 + i)
    return " ".join("".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(4, 9)))
                    for _ in range(60))


def test_concurrent_adds_and_queries():
    errors = []
    done = threading.Event()
    with retold.Deduplicator(threads=2) as d:
        def writer(w):
            try:
                for i in range(PER_WRITER):
                    t = text_of(w, i)
                    first = d.add(f"orig-{w}-{i}", t, timestamp=i)
                    if i % 4 == 0:
                        res = d.add_many([(f"copy-{w}-{i}", t + " with a closing remark")])
                        copy = res[0]
                    else:
                        copy = d.add(f"copy-{w}-{i}", t + " with a closing remark", timestamp=i)
                    assert copy.ok and copy.cluster_id == first.cluster_id and not copy.new_story
            except Exception as e:  # reported below: an assert in a thread would be lost
                errors.append(e)

        def reader(k):
            try:
                rounds = 0
                last = 0
                while not done.is_set() or rounds < 5:
                    w, i = rounds % WRITERS, (rounds * 7 + k) % PER_WRITER
                    t = text_of(w, i)
                    ids = [m.id for m in d.query(t)]
                    if f"orig-{w}-{i}" in d:
                        assert f"orig-{w}-{i}" in [m.id for m in d.query(t)]
                        d.cluster_of(f"orig-{w}-{i}")
                    n = d.stats().documents
                    assert n >= last
                    last = n
                    if rounds % 10 == 0:
                        d.clusters(min_members=2)
                        d.compute_signature(t)
                        d.compute_embedding(t)
                    del ids
                    rounds += 1
            except Exception as e:
                errors.append(e)

        writers = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        readers = [threading.Thread(target=reader, args=(k,)) for k in range(READERS)]
        for t in readers + writers:
            t.start()
        for t in writers:
            t.join()
        done.set()
        for t in readers:
            t.join()
        assert not errors, errors
        st = d.stats()
        assert st.documents == 2 * WRITERS * PER_WRITER
        assert st.clusters == st.multi_member_clusters == WRITERS * PER_WRITER
        for w in range(WRITERS):
            for i in range(PER_WRITER):
                assert d.cluster_of(f"orig-{w}-{i}") == d.cluster_of(f"copy-{w}-{i}")


def test_close_waits_for_running_calls_and_refuses_new_ones():
    d = retold.Deduplicator()
    for i in range(50):
        d.add(f"d{i}", text_of(9, i))
    outcomes = []
    start = threading.Barrier(5)

    def hammer():
        start.wait()
        try:
            while True:
                d.query(text_of(9, 3))
        except retold.ClosedError:
            outcomes.append("closed")
        except Exception as e:  # anything else is a bug
            outcomes.append(e)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    start.wait()
    d.close()
    for t in threads:
        t.join()
    assert outcomes == ["closed"] * 4


def test_errors_are_per_thread():
    """Each thread's exception carries its own message even when threads fail at once."""
    with retold.Deduplicator() as d:
        barrier = threading.Barrier(8)
        messages = {}

        def fail(k):
            barrier.wait()
            for _ in range(200):
                try:
                    d.remove(f"ghost-{k}")
                except retold.NotFoundError as e:
                    if f"ghost-{k}'" not in str(e):
                        messages[k] = str(e)
                        return

        threads = [threading.Thread(target=fail, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert messages == {}
