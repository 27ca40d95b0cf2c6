"""Organisers at the command line: surveys, rounds, a terminal chat and the answers it left."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bots.cli import app
from tests.conftest import FIXTURES, PSEUDONYM_KEY

XLSFORM = FIXTURES / "xlsform" / "two-languages.xlsx"


@pytest.fixture
def consulta(database, monkeypatch):
    monkeypatch.setenv("CONSULTA_DATABASE_URL", database.url)
    monkeypatch.setenv("CONSULTA_PSEUDONYM_KEY", PSEUDONYM_KEY.decode())
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    assert run("recommendations", "import", str(FIXTURES / "template.csv")).exit_code == 0
    return run


def test_bundled_templates_validate_and_import_once(consulta):
    names = consulta("survey", "templates").stdout.split()
    assert names == ["government-status-check", "treaty-body-follow-up", "upr-midterm-cso"]
    for name in names:
        assert consulta("survey", "validate", name).exit_code == 0
        first = json.loads(consulta("survey", "import", name, "--json").stdout)
        again = json.loads(consulta("survey", "import", name, "--json").stdout)
        assert (first["version"], first["created"], again["created"]) == (1, True, False)
    listed = json.loads(consulta("survey", "list", "--json").stdout)
    assert [s["survey"] for s in listed] == sorted(names)
    schema = json.loads(consulta("survey", "schema").stdout)
    assert schema["title"] == "Survey"


def test_a_broken_survey_reports_every_problem_and_saves_nothing(consulta, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: broken\ntitle: Broken\nquestions:\n"
        "  - id: q1\n    kind: essay\n    label: Tell us\n"
        '  - id: q2\n    kind: text\n    label: More\n    relevant: "${q1} = "\n',
        encoding="utf-8",
    )
    result = consulta("survey", "validate", str(broken))
    assert result.exit_code == 1
    assert "line 5: questions[q1].kind" in result.stderr
    assert "line 10: questions[q2].relevant: invalid expression" in result.stderr
    assert "2 problem(s)" in result.stderr
    assert consulta("survey", "import", str(broken)).exit_code == 1
    assert json.loads(consulta("survey", "list", "--json").stdout) == []
    bad_form = consulta("survey", "validate", str(FIXTURES / "xlsform" / "bad.xlsx"))
    assert bad_form.exit_code == 1 and "line 3" in bad_form.stderr
    assert "geopoint" in bad_form.stderr


def test_round_lifecycle(consulta):
    consulta("survey", "import", "upr-midterm-cso")
    created = consulta(
        "rounds",
        "create",
        "--title",
        "Valdoria mid-term",
        "--survey",
        "upr-midterm-cso",
        "--country",
        "Valdoria",
        "--language",
        "en",
        "--language",
        "fr",
        "--json",
    )
    assert created.exit_code == 0, created.output
    data = json.loads(created.stdout)
    code = data["code"]
    assert len(code) == 6 and data["status"] == "draft" and data["recommendations"] == 5
    assert data["languages"] == ["en", "fr"] and data["default_disclosure"] == "anonymous"
    assert json.loads(consulta("rounds", "open", code, "--json").stdout)["accepting_answers"]
    listed = json.loads(consulta("rounds", "list", "--json").stdout)
    assert [r["code"] for r in listed] == [code]
    assert json.loads(consulta("rounds", "close", code, "--json").stdout)["status"] == "closed"
    assert json.loads(consulta("rounds", "show", code.lower(), "--json").stdout)["code"] == code


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--survey", "nope"], "no survey with id 'nope'"),
        (["--survey", "upr-midterm-cso"], "needs a scope"),
        (["--survey", "upr-midterm-cso", "--theme", "astronomy"], "matches no recommendation"),
        (
            ["--survey", "upr-midterm-cso", "--country", "Valdoria", "--opens", "tomorrow"],
            "not a date and time",
        ),
        (
            ["--survey", "upr-midterm-cso", "--country", "Valdoria", "--opens", "2027-03-01T09:00"],
            "needs a time zone",
        ),
        (
            ["--survey", "upr-midterm-cso", "--country", "Valdoria", "--timezone", "Mars/Base"],
            "unknown time zone",
        ),
        (
            ["--survey", "upr-midterm-cso", "--country", "Valdoria", "--invited-only"],
            "needs at least one role",
        ),
        (
            ["--survey", "upr-midterm-cso", "--country", "Valdoria", "--language", "de"],
            "unsupported language",
        ),
    ],
)
def test_bad_round_plans_are_named(consulta, args, words):
    consulta("survey", "import", "upr-midterm-cso")
    result = consulta("rounds", "create", "--title", "Bad", *args)
    assert result.exit_code == 1 and words in result.stderr
    assert json.loads(consulta("rounds", "list", "--json").stdout) == []


def test_a_scripted_terminal_chat_through_the_upr_template(consulta):
    consulta("survey", "import", "upr-midterm-cso")
    consulta(
        "rounds",
        "create",
        "--title",
        "Valdoria mid-term",
        "--survey",
        "upr-midterm-cso",
        "--country",
        "Valdoria",
        "--code",
        "VLD2027",
    )
    consulta("rounds", "open", "VLD2027")
    script = (
        "\n".join(
            [
                "1",  # consent
                "2",  # organisation type: community-based
                "yes",  # involved
                "4",  # themes: the fourth one in the list
                "partially implemented",
                "Registration is free since 2025.",
                "2",
                "four",
                "1, 3",  # obstacles
                "skip",  # comments
                "2",  # the optional questions about the participant: no, skip them
            ]
        )
        + "\n"
    )
    result = consulta("chat", "--round", "VLD2027", "--as", "amina", input=script)
    assert result.exit_code == 0, result.output
    assert "Do you agree to take part?" in result.stdout
    assert "1. I agree" in result.stdout
    assert "Thank you for taking part!" in result.stdout
    answers = json.loads(consulta("answers", "--round", "VLD2027", "--json").stdout)
    by_question = {a["question"]: a for a in answers}
    assert by_question["org_type"]["value"] == "community"
    assert by_question["involved"]["value"] == "yes"
    assert by_question["status"]["value"] == "partially_implemented"
    assert by_question["evidence"]["text"] == "Registration is free since 2025."
    assert by_question["evidence"]["disclosure"] == "organisation"
    assert by_question["felt"]["value"] == 4
    assert by_question["obstacles"]["value"] == ["budget", "data"]
    assert by_question["comments"]["skipped"] is True
    assert not {"gender", "disability", "region", "age_group"} & set(by_question)
    assert all(a["channel"] == "terminal" for a in answers)
    # Organisers see only what each answer's disclosure allows: no pseudonym here.
    assert all(a["participant"] is None for a in answers)
    assert "amina" not in json.dumps(answers)


def test_an_xlsform_in_two_languages_imports_and_runs(consulta):
    saved = json.loads(consulta("survey", "import", str(XLSFORM), "--json").stdout)
    consulta(
        "rounds",
        "create",
        "--title",
        "Suivi",
        "--survey",
        saved["survey"],
        "--country",
        "Valdoria",
        "--code",
        "XLS001",
        "--language",
        "fr",
        "--language",
        "en",
    )
    consulta("rounds", "open", "XLS001")
    result = consulta(
        "chat", "--round", "XLS001", "--as", "claire", "--language", "fr", input="1\nnon\n"
    )
    assert result.exit_code == 0, result.output
    answers = json.loads(consulta("answers", "--round", "XLS001", "--json").stdout)
    assert answers[0]["question"] == "knows" and answers[0]["value"] == "no"
    assert answers[0]["language"] == "fr"


def test_a_rounds_schedule_and_digest_are_set_from_the_command_line(consulta):
    consulta("survey", "import", "upr-midterm-cso")
    created = json.loads(
        consulta(
            "rounds",
            "create",
            "--title",
            "Scheduled",
            "--survey",
            "upr-midterm-cso",
            "--country",
            "Valdoria",
            "--code",
            "SCHED9",
            "--timezone",
            "Africa/Nairobi",
            "--opens",
            "2027-03-01T09:00+03:00",
            "--closes",
            "2027-03-31T18:00+03:00",
            "--remind-every",
            "48",
            "--max-reminders",
            "3",
            "--quiet-hours",
            "22-7",
            "--digest",
            "slack:C0DIGEST:weekly",
            "--json",
        ).stdout
    )
    assert created["opens_at"] == "2027-03-01T06:00:00+00:00"  # stored in UTC
    assert created["opens_local"] == "2027-03-01 09:00 Africa/Nairobi"
    assert created["reminders"]["every_hours"] == 48 and created["reminders"]["at_most"] == 3
    assert created["reminders"]["quiet_hours"].startswith("22:00-07:00")
    assert created["digest"] == {"platform": "slack", "chat": "C0DIGEST", "every": "weekly"}
    assert consulta("rounds", "digest", "SCHED9", "off").exit_code == 0
    assert json.loads(consulta("rounds", "show", "SCHED9", "--json").stdout)["digest"] is None
    bad = consulta("rounds", "digest", "SCHED9", "email:someone:daily")
    assert bad.exit_code == 1 and "not slack:CHANNEL:daily" in bad.stderr
    hours = consulta(
        "rounds",
        "create",
        "--title",
        "X",
        "--survey",
        "upr-midterm-cso",
        "--country",
        "Valdoria",
        "--quiet-hours",
        "25-8",
    )
    assert hours.exit_code == 1 and "0 to 23" in hours.stderr
