"""`pip install bindings/python` works offline and bundles the library (see README.md)."""
import os
import shutil
import subprocess
import sys

import pytest

import retold
from conftest import PACKAGE_ROOT


def test_offline_pip_install_bundles_the_library(tmp_path):
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode != 0:
        pytest.skip("pip is not available for this interpreter")
    if subprocess.run([sys.executable, "-c", "import venv, setuptools, wheel"], capture_output=True).returncode != 0:
        pytest.skip("venv, setuptools or wheel missing (Debian: python3-venv python3-setuptools python3-wheel)")
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the repository
    shutil.copytree(PACKAGE_ROOT, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = dict(os.environ, RETOLD_LIBRARY=os.path.realpath(retold.library_path), PIP_NO_INPUT="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    out = subprocess.run([str(py), "-m", "pip", "install", "--no-build-isolation", "--no-index", str(src)],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    # the installed package finds its bundled library without any environment
    env.pop("RETOLD_LIBRARY")
    check = subprocess.run([str(py), "-c", "import retold; print(retold.library_path); "
                            "d = retold.Deduplicator(); d.add('a', 'installed and working'); print(len(d))"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    path, count = check.stdout.split()
    assert path.startswith(str(venv)) and path.endswith("retold/libretold_c.so.0") and count == "1"


def test_install_fails_clearly_without_a_library(tmp_path):
    if subprocess.run([sys.executable, "-c", "import setuptools, wheel"], capture_output=True).returncode != 0:
        pytest.skip("setuptools or wheel missing")
    src = tmp_path / "src"
    shutil.copytree(PACKAGE_ROOT, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    env = {k: v for k, v in os.environ.items() if k not in ("RETOLD_LIBRARY", "RETOLD_ALLOW_SYSTEM_LIBRARY")}
    env["RETOLD_BUILD_DIR"] = str(tmp_path / "no-build-here")
    out = subprocess.run([sys.executable, "setup.py", "-q", "build"], capture_output=True, text=True, env=env, cwd=src)
    assert out.returncode != 0
    assert "libretold_c.so.0 not found" in out.stdout + out.stderr
