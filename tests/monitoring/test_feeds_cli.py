"""``yimen registry import`` and ``yimen monitor import``: a summary, an error report, exit 0 unless unreadable."""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

from backend.commands.monitoring import run_monitor, run_registry
from backend.config import Config
from backend.db.database import Database
from bot.cli import _parser
from tests.monitoring.registry_files import (
    ELDER,
    HEAD,
    SECRET,
    STRANGER,
    family,
    feed_csv,
    feed_jsonl,
    person,
    registry_csv,
)

BAD_DIGIT = HEAD[:17] + ("0" if HEAD[17] != "0" else "1")


def config(database_url: str, tmp_path: Path) -> Config:
    return Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path / "data", secret_key=SECRET)


def parse(*argv: str) -> argparse.Namespace:
    return _parser().parse_args(argv)


async def call(cfg: Config, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = parse(*argv)
    run = run_registry if args.command == "registry" else run_monitor
    code = await run(cfg, args, out, err)
    return code, out.getvalue(), err.getvalue()


async def test_registry_then_feed_with_bad_rows(database: Database, database_url: str, tmp_path: Path) -> None:
    cfg = config(database_url, tmp_path)
    registry = tmp_path / "registry.csv"
    registry.write_text(registry_csv(*family("H1"), person("H2", ELDER, category="vip")), encoding="utf-8")
    code, out, _ = await call(cfg, "registry", "import", str(registry))
    assert code == 0
    assert "read 4 rows: 1 households and 3 persons imported" in out and "1 rows refused" in out
    assert (tmp_path / "registry.errors.csv").read_text(encoding="utf-8").splitlines()[1].startswith("5,category,")

    feed = tmp_path / "medical-2026-11.csv"
    feed.write_text(feed_csv(
        ("M1", HEAD, "out_of_pocket", "2026-10-01", "23000", ""),
        ("M2", BAD_DIGIT, "out_of_pocket", "2026-10-01", "10", ""),
        ("M3", STRANGER, "out_of_pocket", "2026-10-01", "10", ""),
    ), encoding="utf-8")
    code, out, err = await call(cfg, "monitor", "import", "--source", "medical", str(feed))
    assert code == 0
    assert out.startswith("read 3 / inserted 1 / duplicates 0 / errors 2")
    report = tmp_path / "medical-2026-11.errors.csv"
    rows = list(csv.reader(report.read_text(encoding="utf-8").splitlines()))
    assert [r[:2] for r in rows] == [["line", "field"], ["3", "id_number"], ["4", "id_number"]]
    assert HEAD not in report.read_text() and BAD_DIGIT not in report.read_text() and STRANGER not in out + err

    code, out, _ = await call(cfg, "monitor", "import", "--source", "medical", str(feed),
                              "--errors", str(tmp_path / "elsewhere.csv"))
    assert code == 0 and out.startswith("read 3 / inserted 0 / duplicates 1 / errors 2")
    assert (tmp_path / "elsewhere.csv").exists()


async def test_json_lines_by_name_or_by_option(database: Database, database_url: str, tmp_path: Path) -> None:
    cfg = config(database_url, tmp_path)
    registry = tmp_path / "registry.csv"
    registry.write_text(registry_csv(*family("H1")), encoding="utf-8")
    await call(cfg, "registry", "import", str(registry))
    lines = feed_jsonl(("P1", HEAD, "death", "2026-10-01", "", ""))
    (tmp_path / "deaths.jsonl").write_text(lines, encoding="utf-8")
    (tmp_path / "deaths.txt").write_text(lines, encoding="utf-8")
    code, out, _ = await call(cfg, "monitor", "import", "--source", "public_security", str(tmp_path / "deaths.jsonl"))
    assert code == 0 and out.startswith("read 1 / inserted 1 / duplicates 0 / errors 0")
    code, out, _ = await call(cfg, "monitor", "import", "--source", "public_security", "--format", "jsonl",
                              str(tmp_path / "deaths.txt"))
    assert code == 0 and out.startswith("read 1 / inserted 0 / duplicates 1 / errors 0")


async def test_a_file_that_cannot_be_read_exits_with_2(database: Database, database_url: str, tmp_path: Path) -> None:
    cfg = config(database_url, tmp_path)
    code, _, err = await call(cfg, "monitor", "import", "--source", "hr", str(tmp_path / "missing.csv"))
    assert code == 2 and "cannot read" in err
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("who,what\n1,2\n", encoding="utf-8")
    code, _, err = await call(cfg, "monitor", "import", "--source", "hr", str(wrong))
    assert code == 2 and "lacks the column(s) record_id" in err
    code, _, err = await call(cfg, "registry", "import", str(wrong))
    assert code == 2 and "cannot read" in err
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"record_id,id_number,kind,occurred_on\n\xff\xfe\x00\n")
    code, _, err = await call(cfg, "monitor", "import", "--source", "hr", str(binary))
    assert code == 2 and "not UTF-8" in err


def test_the_sources_are_the_documented_ones() -> None:
    args = parse("monitor", "import", "--source", "civil_affairs", "x.csv")
    assert (args.source, args.file, args.format, args.errors) == ("civil_affairs", Path("x.csv"), None, None)
