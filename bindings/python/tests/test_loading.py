"""Where the shared library is found: $RETOLD_LIBRARY, next to the package, the system path."""
import os
import shutil
import subprocess
import sys
import textwrap

import retold
from conftest import PACKAGE_ROOT


def run(code, env, cwd):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, cwd=cwd)


def test_environment_override_must_point_to_the_library(tmp_path):
    env = dict(os.environ, RETOLD_LIBRARY=str(tmp_path / "libnothing.so"))
    out = run(f"import sys; sys.path.insert(0, {str(PACKAGE_ROOT)!r}); import retold", env, tmp_path)
    assert out.returncode != 0
    assert "ImportError" in out.stderr and "RETOLD_LIBRARY" in out.stderr and "libnothing.so" in out.stderr


def test_library_next_to_the_package_is_found(tmp_path):
    pkg = tmp_path / "site" / "retold"
    shutil.copytree(PACKAGE_ROOT / "retold", pkg, ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
    shutil.copy2(os.path.realpath(retold.library_path), pkg / "libretold_c.so.1")
    env = {k: v for k, v in os.environ.items() if k not in ("RETOLD_LIBRARY", "LD_LIBRARY_PATH")}
    out = run("""
        import sys
        sys.path.insert(0, 'site')
        import retold
        print(retold.library_path)
        with retold.Deduplicator() as d:
            d.add("a", "works from the bundled library")
    """, env, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(pkg / "libretold_c.so.1")


def test_every_c_function_is_declared_with_argtypes_and_restype():
    import re
    from retold import _native as N
    header = (PACKAGE_ROOT.parent.parent / "include" / "retold" / "retold.h").read_text()
    declared = set(re.findall(r"RETOLD_C_API[^;(]*?\b(retold_\w+)\s*\(", header))
    assert len(declared) >= 30
    assert declared == set(N._PROTOTYPES)
    for name in declared:
        fn = getattr(N.lib, name)
        assert fn.argtypes is not None, name


def test_system_library_path_is_the_fallback(tmp_path):
    pkg = tmp_path / "site" / "retold"
    shutil.copytree(PACKAGE_ROOT / "retold", pkg, ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
    env = {k: v for k, v in os.environ.items() if k != "RETOLD_LIBRARY"}
    env["LD_LIBRARY_PATH"] = os.path.dirname(os.path.realpath(retold.library_path))
    out = run("""
        import sys
        sys.path.insert(0, 'site')
        import retold
        print(retold.library_path)
        with retold.Deduplicator() as d:
            d.add("a", "works from the system path")
    """, env, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "libretold_c.so.1"
