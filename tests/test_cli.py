"""The CLI explains itself, is documented in the README, and fails with one line."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cityhub.cli import main
from cityhub.config import Settings
from cityhub.demo.replay import file_one, read_replay_messages
from cityhub.hub import Hub

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, cmd in group.commands.items():
        full = f"{prefix}{name}"
        found.append((full, cmd))
        if isinstance(cmd, click.Group):
            found.extend(_commands(cmd, full + " "))
    return found


@pytest.mark.parametrize("name,cmd", _commands(main), ids=lambda x: x if isinstance(x, str) else "")
def test_every_command_has_help_and_is_in_the_readme(name: str, cmd: click.Command) -> None:
    assert (cmd.help or "").strip(), f"'cityhub {name}' has no --help text"
    assert f"cityhub {name}" in README, f"'cityhub {name}' is not documented in README.md"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """`cityhub ARGS` in this process (click's runner): for tests of what a command does. An
    exception the command lets through fails the test with its traceback."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return subprocess.CompletedProcess(
        ["cityhub", *args], result.exit_code, result.stdout, result.stderr
    )


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    """`cityhub ARGS` in a fresh interpreter: for start-up, exit status and what a shell sees."""
    return subprocess.run(
        [sys.executable, "-m", "cityhub.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_help_runs() -> None:
    out = run_process("--help")
    assert out.returncode == 0 and "demo" in out.stdout and "serve" in out.stdout


def test_bad_database_url_is_one_line_and_nonzero() -> None:
    out = run_process("migrate", "--database", "mysql://nowhere/db")
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and out.stderr.startswith("error:")
    assert "Traceback" not in out.stderr


def test_missing_context_file_is_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    out = run(
        "contexts",
        "add",
        "https://example.org/c.jsonld",
        str(tmp_path / "none.json"),
        "--database",
        db,
    )
    assert out.returncode == 1 and out.stderr.startswith("error:")
    assert out.stderr.strip().count("\n") == 0


def test_keys_create_then_context_preload(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    out = run("keys", "create", "--department", "交通运输局", "--database", db)
    assert out.returncode == 0, out.stderr
    key_id, secret = out.stdout.split()
    assert key_id.startswith("key_") and secret.startswith("chk_")
    ctx = tmp_path / "ctx.jsonld"
    ctx.write_text('{"@context": {"站点": "https://example.org/Station"}}', encoding="utf-8")
    out = run("contexts", "add", "https://example.org/ctx.jsonld", str(ctx), "--database", db)
    assert out.returncode == 0, out.stderr
    bad = tmp_path / "bad.jsonld"
    bad.write_text("[1, 2]", encoding="utf-8")
    out = run("contexts", "add", "https://example.org/bad.jsonld", str(bad), "--database", db)
    assert out.returncode == 1 and "no @context" in out.stderr


def test_tenant_private_command(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    out = run("tenants", "private", "统计", "--database", db)
    assert out.returncode == 0 and "private" in out.stdout


def test_demo_loads_into_the_store_the_environment_names_and_routes_replayed_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_data: Path
) -> None:
    store = tmp_path / "from-env.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CITYHUB_DATABASE_URL", f"sqlite:///{store}")
    labelled = shared_data / "citizen" / "messages_labelled.csv"
    out = run("demo", "--no-serve", "--devices", "10", "--routing-corpus", str(labelled))
    assert out.returncode == 0, out.stderr
    assert store.exists() and not (tmp_path / "cityhub.db").exists()
    assert f"into sqlite:///{store}" in " ".join(out.stdout.split())
    # Nothing is served, so nothing is said about where devices would publish.
    assert "MQTT" not in out.stdout and "Not serving" in out.stdout
    # The demo trained department routing: replayed hotline messages reach departments.
    messages = read_replay_messages(shared_data / "citizen" / "messages_with_support_counts.csv")
    hub = Hub.open(Settings(database_url=f"sqlite:///{store}"))
    try:
        assert hub.classifiers.current() is not None
        rows = [
            hub.store.requests.get_request(file_one(hub, m, random.Random(n)))
            for n, m in enumerate(messages[:12])
        ]
    finally:
        hub.close()
    routed = [r for r in rows if r is not None and r.department]
    assert len(routed) >= 8, [(r.doc["title"], r.category, r.confidence) for r in rows if r]
    assert all(r.status == "dispatched" for r in routed)
