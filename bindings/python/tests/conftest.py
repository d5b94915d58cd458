"""Shared fixtures. The suite runs against the library named by $RETOLD_LIBRARY (run_tests.sh
sets it to a CMake build's libretold_c.so.1) or an installed package's bundled one."""
import json
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent
REPO_ROOT = PACKAGE_ROOT.parent.parent

if os.environ.get("RETOLD_TEST_INSTALLED") != "1":
    # test the source tree, not whatever may be installed
    sys.path.insert(0, str(PACKAGE_ROOT))

RATE = ("The central bank of Examplestan raised its main interest rate by half a percentage point "
        "on Tuesday to 7.5 percent, citing persistent inflation in food and energy prices. Governor "
        "Ana Petrova told reporters in the capital after the board meeting that further increases "
        "could not be ruled out if the currency kept weakening against the dollar and the euro.")
RATE_COPY = RATE + " Analysts polled last week had expected the move."
FOOTBALL = ("Riverside United beat Harbour City 3-1 in the cup semi-final on Saturday, with two late "
            "goals from the substitute striker sealing a place in the final for the first time since "
            "1998. The coach praised the young squad and said the club would now aim for the title.")
WEATHER = ("Forecasters expect heavy snow across the northern mountains over the weekend, with up to "
           "forty centimetres on the high passes, and warned drivers to carry chains. Temperatures in "
           "the lowlands will stay just above freezing until Wednesday, when a warmer front arrives.")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    d = Path(os.environ.get("RETOLD_SEEDS_DIR", REPO_ROOT / "seeds"))
    if not (d / "corpus.jsonl").exists():
        pytest.skip(f"seed corpus not found in {d} (set RETOLD_SEEDS_DIR)")
    return d


@pytest.fixture(scope="session")
def corpus(seeds_dir):
    with open(seeds_dir / "corpus.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def golden(seeds_dir):
    with open(seeds_dir / "expected_clusters.json", encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture
def dedup():
    import retold
    with retold.Deduplicator(source_priority=["Wire"]) as d:
        yield d
