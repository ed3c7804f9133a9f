"""Every shell block between the README's `examples:begin` and `examples:end` markers runs, in
order, in one working folder, against a server holding a fresh demo city: each must exit 0
(`curl -f` fails on any HTTP error). A few answers are checked too, so an example that runs but
shows nothing of what its prose promises fails as well."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.e2e.processes import start_cityhub

README = Path(__file__).resolve().parents[2] / "README.md"
BIN = Path(sys.executable).parent


def examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    part = text.split("<!-- examples:begin -->", 1)[1].split("<!-- examples:end -->", 1)[0]
    return re.findall(r"```sh\n(.*?)```", part, flags=re.S)


def test_the_readme_has_examples_of_every_api_family_and_cli_family() -> None:
    blocks = "\n".join(examples())
    for needed in (
        "/ngsi-ld/v1/entities", "/ngsi-ld/v1/temporal", "/open311/v2/requests.json",
        "/api/3/action/package_search", "cityhub citizen train", "cityhub citizen predict",
        "cityhub voice", "cityhub evaluate did", "cityhub evaluate synth",
        "cityhub indicators", "cityhub targets", "cityhub catalog",
    ):  # fmt: skip
        assert needed in blocks, needed


def test_every_readme_example_runs_against_a_demo_server(tmp_path: Path, shared_data: Path) -> None:
    database = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "CITYHUB_DATABASE_URL": database,
    }
    loaded = subprocess.run(
        [str(BIN / "cityhub"), "demo", "--no-serve", "--devices", "10"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    key = re.search(r"Write key \(department '[^']+', admin\): (chk_\S+)", loaded.stdout)
    assert key, loaded.stdout
    port = free_port()
    server = start_cityhub(database, port)
    outputs = []
    try:
        env.update(CITYHUB=f"http://127.0.0.1:{port}", KEY=key.group(1), SHARED=str(shared_data))
        for block in examples():
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", block],
                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            assert done.returncode == 0, (block, done.stdout[-2000:], done.stderr[-2000:])
            outputs.append(done.stdout)
    finally:
        server.terminate()
        server.wait(timeout=30)
    said = "\n".join(outputs)
    assert '"id":"urn:ngsi-ld:AirQualityObserved:readme-1"' in said  # the geo query found it
    assert "[41.0," in said  # the history holds the change
    assert "深南大道路灯不亮" in said and "城市管理和综合执法局" in said
    assert re.search(r"simple ATT -0\.04\d\d", said)
    assert "Cataluna" in said
    assert "data as of 2017" in re.sub(r"[\s│]+", " ", said)  # the table may wrap it
    assert "audit intact" in said
    assert (tmp_path / "brief").is_dir()


@pytest.fixture(autouse=True)
def _need_shared(shared_data: Path) -> None:
    assert (shared_data / "policy" / "mpdta.csv").exists()
