"""The workshop's preloaded model: read when it is this client's, ignored otherwise."""

from __future__ import annotations

import shutil

import pytest

import kpikit
from kpikit.explore import preload
from kpikit.explore.precompute import precompute
from kpikit.samples import DATA_SAMPLES

pytestmark = pytest.mark.skipif(not (DATA_SAMPLES / "clients.yaml").is_file(), reason="data_samples/ not generated")
LUMORA = DATA_SAMPLES / "lumora" / "client.yaml"


def test_the_kernel_reads_the_preloaded_model_and_its_cube(tmp_path, monkeypatch):
    path = tmp_path / "model.pkl"
    (tmp_path / "model.pkl.pending").touch()
    preload.write_preloaded(LUMORA, path)
    assert path.is_file() and not (tmp_path / "model.pkl.pending").exists()
    monkeypatch.setenv(preload.ENV, str(path))
    monkeypatch.setattr(kpikit, "load_client", lambda *_: pytest.fail("parsed the exports again"))
    model = preload.load_client(LUMORA)
    cube = precompute(model)
    assert cube.model is model and cube.client == "lumora"  # the pickled cube, not a new one


def test_another_clients_file_or_a_broken_one_falls_back_to_load_client(tmp_path, monkeypatch):
    other = tmp_path / "other"
    shutil.copytree(LUMORA.parent, other)
    path = tmp_path / "model.pkl"
    preload.write_preloaded(other / "client.yaml", path)
    monkeypatch.setenv(preload.ENV, str(path))
    assert preload._preloaded(LUMORA) is None  # stale: another client.yaml
    path.write_bytes(b"not a pickle")
    assert preload._preloaded(LUMORA) is None
    assert preload.load_client(LUMORA).config.client == "lumora"


def test_a_failed_preload_removes_its_marker_so_the_kernel_does_not_wait(tmp_path):
    (tmp_path / "m.pkl.pending").touch()
    with pytest.raises(kpikit.KpikitError):
        preload.write_preloaded(tmp_path / "missing.yaml", tmp_path / "m.pkl")
    assert list(tmp_path.iterdir()) == []
