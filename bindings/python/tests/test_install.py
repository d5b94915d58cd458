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
    assert path.startswith(str(venv)) and path.endswith("retold/libretold_c.so.1") and count == "1"


def test_install_fails_clearly_without_a_library(tmp_path):
    if subprocess.run([sys.executable, "-c", "import setuptools, wheel"], capture_output=True).returncode != 0:
        pytest.skip("setuptools or wheel missing")
    src = tmp_path / "src"
    shutil.copytree(PACKAGE_ROOT, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    env = {k: v for k, v in os.environ.items() if k not in ("RETOLD_LIBRARY", "RETOLD_ALLOW_SYSTEM_LIBRARY")}
    env["RETOLD_BUILD_DIR"] = str(tmp_path / "no-build-here")
    out = subprocess.run([sys.executable, "setup.py", "-q", "build"], capture_output=True, text=True, env=env, cwd=src)
    assert out.returncode != 0
    assert "libretold_c.so.1 not found" in out.stdout + out.stderr


def _readme_install_block():
    text = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Install (offline)")
    block = text[text.index("```sh", start) + len("```sh"):]
    return block[:block.index("```")].strip().splitlines()


def test_readme_install_recipe_runs_as_written(tmp_path):
    """The README's install block, run line by line by bash from a directory laid out like the
    repository (build/ and bindings/ pointing at the real ones), with PATH as the user has it: on a
    machine whose first python3 is not Debian's (pyenv here), this is the recipe that used to fail
    with "invalid command 'bdist_wheel'"."""
    if not os.path.exists("/usr/bin/python3"):
        pytest.skip("no Debian /usr/bin/python3")
    if subprocess.run(["/usr/bin/python3", "-c", "import venv, setuptools, wheel, pip"], capture_output=True).returncode:
        pytest.skip("Debian python3-venv, python3-setuptools, python3-wheel or python3-pip missing")
    build_dir = os.path.dirname(os.path.realpath(retold.library_path))  # the BUILD_DIR under test
    lines = _readme_install_block()
    assert lines[0].startswith("cmake "), lines[0]  # the library build: BUILD_DIR already holds it
    repo = tmp_path / "repo"
    (repo / "bindings").mkdir(parents=True)
    os.symlink(os.path.realpath(build_dir), repo / "build")
    shutil.copytree(PACKAGE_ROOT, repo / "bindings" / "python",
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("RETOLD_LIBRARY", "RETOLD_BUILD_DIR", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    script = "set -e\n" + "\n".join(lines[1:]) + "\n"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, cwd=repo)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1].endswith("retold/libretold_c.so.1"), out.stdout
