"""The example in README.md runs as written."""
import contextlib
import io
import re

from conftest import PACKAGE_ROOT


def test_readme_example_runs(tmp_path, monkeypatch):
    readme = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)  # it saves into state/
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "False 1 model" and lines[1] == "reuters-1"
    # the query's matches, best first (ids and story; the scores move with the match model)
    assert lines[2].startswith("reuters-1 1 ") and lines[3].startswith("unn-1 1 "), lines
    assert lines[-2] == "[['reuters-1', 'unn-1']]" and lines[-1] == "1"
    assert (tmp_path / "state").is_dir()
