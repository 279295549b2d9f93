"""notebooks/train_and_evaluate.ipynb runs top to bottom on a small world."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "train_and_evaluate.ipynb"


def test_the_python3_kernel_is_this_interpreter() -> None:
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    cmd = km.format_kernel_cmd()
    assert Path(cmd[0]).resolve() == Path(sys.executable).resolve()


@pytest.mark.slow
def test_notebook_trains_evaluates_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAINMATCH_NOTEBOOK_FIRMS", "1000")
    monkeypatch.setenv("CHAINMATCH_NOTEBOOK_DIR", str(tmp_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOK.parent.parent)}},
    )
    client.execute()
    outputs = [
        o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
    ]
    text = "\n".join(outputs)
    for model in ("lambdarank", "rule", "logistic", "popularity", "oracle"):
        assert model in text
    assert "promote: no model in production" in text
    reports = list((tmp_path / "reports").glob("*.html"))
    assert len(reports) == 1
    assert f"report: {reports[0]}" in text
    assert [p.name for p in (tmp_path / "models").iterdir() if p.name == "PRODUCTION"]
