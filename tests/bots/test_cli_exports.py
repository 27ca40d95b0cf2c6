"""`consulta export` and `consulta participants grant|revoke`, as an organiser types them."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import openpyxl
from sqlalchemy import select

from core.models import AuditEntry
from tests.core.test_exports import BOM, CODE, answered_round, csv_rows, timeless


def _organiser(consulta) -> dict:
    added = consulta("participants", "add", "--role", "organiser", "--json")
    assert added.exit_code == 0, added.output
    return json.loads(added.stdout)


def _audit(database, action: str) -> list[AuditEntry]:
    with database.unit_of_work() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _leftovers() -> list[Path]:
    return [p for p in Path.cwd().iterdir() if p.name.endswith(".part")]


def test_export_writes_the_results_in_each_format(consulta, database):
    answered_round(database)
    result = consulta("export", "--round", "test01")
    assert result.exit_code == 0, result.output
    written = Path(f"{CODE}-results.csv")
    mask = os.umask(0)
    os.umask(mask)
    assert written.stat().st_mode & 0o777 == 0o666 & ~mask
    rows = csv_rows(written.read_bytes())
    assert f"Wrote {len(rows):,} rows of round {CODE} to {written}." in result.stderr
    assert {"round", "response", "answers", "statuses", "free_text"} == {r["section"] for r in rows}

    Path("out").mkdir()
    semicolons = consulta("export", "--round", CODE, "--delimiter", ";", "--output", "out/semi.csv")
    assert semicolons.exit_code == 0, semicolons.output
    assert timeless(csv_rows(Path("out/semi.csv").read_bytes(), ";")) == timeless(rows)

    book = consulta("export", "--round", CODE, "--format", "xlsx", "-o", "out/results.xlsx")
    assert book.exit_code == 0, book.output
    assert openpyxl.load_workbook("out/results.xlsx").sheetnames[0] == "README"

    piped = consulta("export", "--round", CODE, "--format", "json", "--output", "-")
    assert piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout)["round"]["code"] == CODE
    assert "to standard output" in piped.stderr

    assert [a.details for a in _audit(database, "round.exported")] == [
        {"format": "csv"},
        {"format": "csv"},
        {"format": "xlsx"},
        {"format": "json"},
    ]
    assert _leftovers() == []


def test_raw_answers_need_an_organiser_granted_export_raw(consulta, database):
    answered = answered_round(database)
    organiser = _organiser(consulta)
    member = json.loads(consulta("participants", "add", "--role", "civil_society", "--json").stdout)
    target = Path(f"{CODE}-raw.csv")
    target.write_bytes(b"an earlier export")

    nobody = consulta("export", "--round", CODE, "--raw")
    assert nobody.exit_code == 1
    assert "--raw needs --as ORGANISER" in nobody.stderr

    refused = consulta("export", "--round", CODE, "--raw", "--as", organiser["pseudonym"])
    assert refused.exit_code == 1
    assert "'export_raw' is given to named, verified organisers only" in refused.stderr
    # Nothing written, nothing half-written, the earlier file untouched.
    assert target.read_bytes() == b"an earlier export" and _leftovers() == []

    not_organiser = consulta("participants", "grant", str(member["id"]), "export_raw")
    assert not_organiser.exit_code == 1
    assert "is 'civil_society', not an organiser" in not_organiser.stderr
    unknown = consulta("participants", "grant", str(organiser["id"]), "everything")
    assert unknown.exit_code == 1 and "only export_raw can" in unknown.stderr

    granted = consulta("participants", "grant", str(organiser["id"]), "export_raw")
    assert granted.exit_code == 0, granted.output
    assert f"{organiser['pseudonym']} may now use export_raw." in granted.stderr
    again = consulta("participants", "grant", organiser["pseudonym"], "export_raw")
    assert "already had export_raw; nothing changed." in again.stderr
    listed = json.loads(consulta("participants", "list", "--json").stdout)
    assert {p["id"]: p["grants"] for p in listed}[organiser["id"]] == ["export_raw"]

    raw = consulta("export", "--round", CODE, "--raw", "--as", str(organiser["id"]))
    assert raw.exit_code == 0, raw.output
    # Raw answers are readable by whoever exported them, and nobody else on the machine.
    assert target.stat().st_mode & 0o077 == 0
    data = target.read_bytes()
    assert data.startswith(BOM)
    rows = csv_rows(data)
    assert rows and all(r["participant"].startswith("P-") for r in rows)
    assert not any(sender in data.decode("utf-8") for sender in answered.senders)

    book = consulta(
        "export", "--round", CODE, "--raw", "--as", organiser["pseudonym"], "--format", "xlsx"
    )
    assert book.exit_code == 0, book.output
    archive = zipfile.ZipFile(io.BytesIO(Path(f"{CODE}-raw.xlsx").read_bytes()))
    xml = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    assert "platform-id" not in xml

    exported = _audit(database, "round.exported_raw")
    assert [(a.actor, a.subject_id) for a in exported] == [(organiser["pseudonym"], CODE)] * 2

    revoked = consulta("participants", "revoke", str(organiser["id"]), "export_raw")
    assert revoked.exit_code == 0 and "no longer has export_raw" in revoked.stderr
    after = consulta("export", "--round", CODE, "--raw", "--as", str(organiser["id"]))
    assert after.exit_code == 1 and "named, verified organisers only" in after.stderr
    assert [a.action for a in _audit(database, "participant.granted")] == ["participant.granted"]
    assert len(_audit(database, "participant.revoked")) == 1


def test_export_mistakes_get_one_clear_line(consulta, database):
    answered_round(database)
    tab = consulta("export", "--round", CODE, "--delimiter", "\t")
    assert tab.exit_code == 1
    assert "delimiter: '\\t' is not allowed; use ',' (the default) or ';'" in tab.stderr
    unknown = consulta("export", "--round", "NOPE")
    assert unknown.exit_code == 1 and "no round with the code 'NOPE'" in unknown.stderr
    nowhere = consulta("export", "--round", CODE, "--output", "missing/file.csv")
    assert nowhere.exit_code == 1 and "does not exist" in nowhere.stderr
    pdf = consulta("export", "--round", CODE, "--format", "pdf")
    assert pdf.exit_code == 2
    assert "Traceback" not in tab.output + unknown.output + nowhere.output
    assert list(Path.cwd().glob(f"{CODE}-*")) == [] and _leftovers() == []
