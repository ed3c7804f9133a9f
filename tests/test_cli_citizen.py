"""`cityhub citizen`: train, evaluate, predict and the deadline commands, as a city runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.test_cli import run


def small_history(shared_data: Path, folder: Path) -> tuple[Path, Path]:
    """Two thirds of the labelled messages to train on, the rest held out."""
    rows = list(
        csv.DictReader((shared_data / "citizen" / "messages_labelled.csv").open(encoding="utf-8"))
    )
    train, held = folder / "train.csv", folder / "held.csv"
    for path, part in ((train, rows[: len(rows) * 2 // 3]), (held, rows[len(rows) * 2 // 3 :])):
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(part)
    return train, held


def test_train_evaluate_predict_round_trip(shared_data: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    train, held = small_history(shared_data, tmp_path)
    taxonomy = shared_data / "citizen" / "category_taxonomy.csv"
    trained = run(
        "citizen",
        "train",
        str(train),
        "--taxonomy",
        str(taxonomy),
        "--folds",
        "3",
        "--database",
        db,
    )
    assert trained.returncode == 0, trained.stderr
    assert "classifier version 1" in trained.stdout
    assert "macro-F1" in trained.stderr and "confusion matrix" in trained.stderr
    evaluated = run("citizen", "evaluate", str(held), "--json", "--database", db)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert report["n"] == 328 - 328 * 2 // 3
    assert 0.6 < report["macro_f1"] <= 1.0
    shown = run("citizen", "evaluate", str(held), "--database", db)
    assert "precision" in shown.stdout and "劳动和社会保障" in shown.stdout
    assert "warning" not in shown.stderr and "warning" not in report
    # Scored on the very messages it was trained on: said, in both outputs.
    remembered = run("citizen", "evaluate", str(train), "--database", db)
    assert remembered.returncode == 0 and "trained on" in remembered.stderr
    as_json = json.loads(run("citizen", "evaluate", str(train), "--json", "--database", db).stdout)
    assert "trained on" in as_json["warning"]
    predicted = run("citizen", "predict", "老板拖欠工资不发", "-k", "2", "--database", db)
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.startswith("hrss\t劳动和社会保障")


def test_citizen_commands_fail_with_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    missing = run("citizen", "train", str(tmp_path / "none.csv"), "--database", db)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert missing.stderr.startswith("error:")
    untrained = run("citizen", "predict", "路灯坏了", "--database", db)
    assert untrained.returncode == 1 and "cityhub citizen train" in untrained.stderr
    assert "Traceback" not in untrained.stderr


def test_escalate_and_rates_run_on_an_empty_city(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    escalated = run("citizen", "escalate", "--database", db)
    assert escalated.returncode == 0 and "escalated 0" in escalated.stdout
    rates = run("citizen", "rates", "--database", db)
    assert rates.returncode == 0 and "三率" in rates.stdout


def test_import_replays_a_hotline_export_with_replies(shared_data: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    source = shared_data / "citizen" / "messages_with_official_replies.csv"
    imported = run("citizen", "import", str(source), "--limit", "25", "--database", db)
    assert imported.returncode == 0, imported.stderr
    assert "imported 25 messages (25 with official replies)" in imported.stdout
    from cityhub.store import open_store
    from cityhub.store.citizen_sql import RequestFilter

    store = open_store(db)
    try:
        rows = store.requests.list_requests(RequestFilter(), 100)
        assert len(rows) == 25
        assert all(r.status == "resolved" and r.doc["status_notes"] for r in rows)
        first = next(csv.DictReader(source.open(encoding="utf-8")))
        mine = next(r for r in rows if r.doc["source_id"] == first["id"])
        assert mine.doc["title"] == first["title"]
        assert mine.resolved_us is not None and mine.resolved_us > mine.requested_us
    finally:
        store.close()
    brief = run("voice", "brief", "--date", "2019-04-30", "--out", str(tmp_path), "--database", db)
    assert brief.returncode == 1 and "train-sentiment" in brief.stderr  # needs the model
    broken = tmp_path / "broken.csv"
    broken.write_text("id,title,text,time\n1,路灯,路灯坏了,\n", encoding="utf-8")
    failed = run("citizen", "import", str(broken), "--database", db)
    assert failed.returncode == 1 and "time" in failed.stderr
