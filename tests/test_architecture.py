"""The arrows of the architecture hold: the import contracts in pyproject.toml, and modules of
a readable size in the domain."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ivr", "workers", "audio", "petition")
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
# "About 600 lines" (README, Architecture): a module past it wants splitting along its seams.
MAX_DOMAIN_MODULE_LINES = 620


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contracts_catch_the_domain_importing_flask_or_a_capability_above_it(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    models = tmp_path / "petition" / "models.py"
    models.write_text(models.read_text() + "\nimport flask  # noqa\n")
    lexicon = tmp_path / "petition" / "names" / "lexicon.py"
    lexicon.write_text(lexicon.read_text() + "\nfrom petition.reporting import stats  # noqa\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1
    assert "The domain knows nothing of the web or the queue BROKEN" in result.stdout
    assert "The domain's capabilities import only those below them BROKEN" in result.stdout
    assert "petition.names.lexicon -> petition.reporting.stats" in result.stdout


def test_no_module_of_the_domain_is_too_long_to_read():
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "petition").rglob("*.py")
        if "migrations" not in path.parts
    }
    too_long = {path: n for path, n in lengths.items() if n > MAX_DOMAIN_MODULE_LINES}

    assert too_long == {}
