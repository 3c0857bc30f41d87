"""tests/conftest.py's rules for this suite, on a throwaway suite run in a fresh pytest: a skip
fails (the default install has every dependency, so nothing may silently not run), the slow
and gpu markers only deselect, and a gpu test run with ``-m gpu`` fails where there is no CUDA."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SUITE = """
import pytest

def test_runs():
    pass

def test_skips_itself():
    pytest.skip("a missing thing")

@pytest.mark.skipif(True, reason="a marker's condition")
def test_skipped_by_a_marker():
    pass

@pytest.mark.slow
def test_slow_and_skipping():
    pytest.skip("slow and skipped")

@pytest.mark.gpu
def test_on_the_gpu():
    pass
"""


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest with this project's settings on ``folder`` (its tests named relative to it)."""
    shutil.copy(ROOT / "tests" / "conftest.py", folder / "conftest.py")
    paths = [str(folder / arg) if arg.endswith(".py") else arg for arg in args]
    command = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(folder)]
    return subprocess.run([*command, "-p", "no:cacheprovider", *paths], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip


def test_a_skipped_test_fails_the_run_and_says_why(tmp_path: Path) -> None:
    """Read from the JUnit report, not the terminal: how much of a reason the summary shows
    depends on the terminal's width, which CI does not share with a developer's shell."""
    (tmp_path / "test_suite.py").write_text(SUITE)
    report = tmp_path / "report.xml"
    run = _pytest(tmp_path, "test_suite.py", f"--junitxml={report}")
    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 passed, 2 deselected, 1 error" in run.stdout  # slow and gpu: deselected, not failed
    outcomes = {case.get("name"): [(child.tag, child.get("message", "") + (child.text or "")) for child in case]
                for case in ElementTree.parse(report).iter("testcase")}  # fmt: skip
    assert set(outcomes) == {"test_runs", "test_skips_itself", "test_skipped_by_a_marker"}, outcomes
    assert outcomes["test_runs"] == []
    reasons = {"test_skips_itself": "a missing thing", "test_skipped_by_a_marker": "a marker's condition"}
    for name, reason in reasons.items():
        [(tag, text)] = outcomes[name]
        assert tag in {"failure", "error"}, outcomes  # a skip in the call fails it; one at setup errors
        assert "a skipped test fails this suite" in text and f"skipped because: Skipped: {reason}" in text, text


def test_only_the_markers_leave_tests_out(tmp_path: Path) -> None:
    (tmp_path / "test_suite.py").write_text(SUITE)
    run = _pytest(tmp_path, "test_suite.py", "-k", "runs or slow")
    assert run.returncode == 0 and "1 passed, 4 deselected" in run.stdout, run.stdout
    slow = _pytest(tmp_path, "test_suite.py", "-m", "slow")  # selected, the slow test's skip fails too
    assert slow.returncode == 1 and "1 failed, 4 deselected" in slow.stdout, slow.stdout


def test_a_missing_dependency_at_import_fails_collection(tmp_path: Path) -> None:
    (tmp_path / "test_needs.py").write_text(
        'import pytest\npytest.importorskip("no_such_module")\n\ndef test_x():\n    pass\n'
    )
    run = _pytest(tmp_path, "test_needs.py")
    assert run.returncode != 0 and "ERROR collecting test_needs.py" in run.stdout, run.stdout
    assert "could not import 'no_such_module'" in run.stdout


def test_a_gpu_test_fails_without_cuda(tmp_path: Path) -> None:
    (tmp_path / "test_suite.py").write_text(SUITE)
    run = _pytest(tmp_path, "test_suite.py", "-m", "gpu")
    if torch.cuda.is_available():
        assert run.returncode == 0 and "1 passed, 4 deselected" in run.stdout, run.stdout
    else:
        assert run.returncode == 1 and "1 error" in run.stdout, run.stdout
        assert "test_on_the_gpu is marked gpu and needs a CUDA device, but torch" in run.stdout


@pytest.mark.parametrize("module", ["tests/ui/test_browser.py"])
def test_the_browser_test_fails_where_chromium_is_missing(module: str, tmp_path: Path) -> None:
    """Chromium and its driver are part of the default install: a PATH without them fails."""
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q", module],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                         env={"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)})  # fmt: skip
    assert run.returncode != 0, run.stdout
    assert "needs Debian's chromium and chromium-driver: run scripts/setup.sh --browser" in run.stdout
