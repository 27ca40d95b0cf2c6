"""`consulta participants invite`, `consulta updates`, `consulta gaps` and the timeline, run
the way an organiser runs them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core import invitations
from core.models import AuditEntry, ImplementationUpdate, Participant, UpdateVersion
from core.vocabulary import Role
from tests.fakes.followup import NHRI, crowd, give_status, person, set_up, status_round


@pytest.fixture
def cast(database):
    return set_up(database)


def _stored(database) -> tuple[int, int, int]:
    with database.unit_of_work() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (ImplementationUpdate, UpdateVersion, AuditEntry)
        )


def _post(consulta, author: int | str, recommendation: int, status: str, *extra: str):
    """`consulta updates post` as the author about one recommendation."""
    args = ["--as", str(author), "--recommendation", str(recommendation), "--status", status]
    return consulta("updates", "post", *args, *extra)


def _refused(result, words: str) -> None:
    assert result.exit_code == 1, result.output
    assert words in result.stderr
    assert "Traceback" not in result.output


def test_an_invitation_code_is_printed_once_with_how_to_redeem_it(consulta, database, cast):
    result = consulta("participants", "invite", "--role", "nhri", "--organisation", NHRI)
    assert result.exit_code == 0, result.output
    code = result.stdout.strip()
    assert len(code) >= 10 and "\n" not in code
    assert "7 days, until" in result.stderr
    assert f"send `verify {code}` to the bot in Slack, Telegram or over the webhook" in (
        result.stderr
    )
    with database.unit_of_work() as session:
        newcomer = person(session, Role.CIVIL_SOCIETY)
        invitations.redeem(session, code, newcomer)
        assert newcomer.role is Role.NHRI and newcomer.organisation.name == NHRI

    as_json = consulta(
        "participants",
        "invite",
        "--role",
        "government",
        "--organisation",
        "Ministry of Justice",
        "--name",
        "Focal Point",
        "--json",
    )
    made = json.loads(as_json.stdout)
    assert (made["role"], made["organisation"], made["valid_days"]) == (
        "government",
        "Ministry of Justice",
        7,
    )
    assert made["code"] in made["how_to_redeem"]


def test_invitations_the_role_or_organisation_cannot_carry_are_refused(consulta, database, cast):
    before = _stored(database)
    _refused(
        consulta("participants", "invite", "--role", "civil_society", "--organisation", NHRI),
        "cannot be given by invitation",
    )
    _refused(
        consulta("participants", "invite", "--role", "government", "--organisation", NHRI),
        "needs an organisation of type 'government'",
    )
    _refused(
        consulta("participants", "invite", "--role", "nhri", "--organisation", "Nowhere"),
        "Nowhere",
    )
    assert _stored(database) == before


def test_post_review_and_show_an_update(consulta, database, cast):
    first = str(cast.recommendations[0])
    posted = _post(
        consulta,
        cast.government,
        cast.recommendations[0],
        "in_progress",
        "--narrative",
        "A bill is before Parliament.",
        "--evidence",
        "https://parliament.example/bill-12",
        "--evidence",
        "https://gazette.example/2027/3",
        "--indicator",
        "Births registered|81%|2026-12-31",
        "--next-step",
        "Second reading",
        "--due",
        "2027-06-30",
        "--json",
    )
    assert posted.exit_code == 0, posted.output
    draft = json.loads(posted.stdout)
    assert (draft["state"], draft["channel"]) == ("draft", "cli")
    assert draft["evidence"] == [
        "https://parliament.example/bill-12",
        "https://gazette.example/2027/3",
    ]
    assert draft["indicators"] == [
        {"name": "Births registered", "value": "81%", "date": "2026-12-31"}
    ]
    update_id = str(draft["id"])

    waiting = json.loads(consulta("updates", "list", "--state", "draft", "--json").stdout)
    assert [u["id"] for u in waiting] == [draft["id"]]
    _refused(
        consulta("updates", "approve", update_id, "--as", str(cast.government)),
        "only organisers review updates",
    )
    approved = consulta("updates", "approve", update_id, "--as", str(cast.organiser))
    assert approved.exit_code == 0, approved.output
    assert "is published" in approved.stderr

    revised = _post(consulta, cast.government, cast.recommendations[0], "partially_implemented")
    assert revised.exit_code == 0 and "is a draft until an organiser reviews it" in revised.stderr
    second_id = revised.stderr.split()[1]
    _refused(
        consulta("updates", "reject", second_id, "--as", str(cast.organiser), "--note", " "),
        "say why the draft is sent back",
    )
    rejected = consulta(
        "updates", "reject", second_id, "--as", str(cast.organiser), "--note", "Which law?"
    )
    assert rejected.exit_code == 0 and "sent back: Which law?" in rejected.stderr

    shown = consulta("updates", "show", update_id)
    assert shown.exit_code == 0, shown.output
    for words in (
        "Update 1, version 1 of 1 (progress, published): in_progress",
        "by: Ministry of Justice",
        "evidence: https://gazette.example/2027/3",
        "indicator: Births registered = 81% (2026-12-31)",
        "next step: Second reading (by 2027-06-30)",
    ):
        assert words in shown.stdout
    listed = json.loads(consulta("updates", "list", "--recommendation", first, "--json").stdout)
    assert [(u["id"], u["state"]) for u in listed] == [
        (int(second_id), "rejected"),
        (1, "published"),
    ]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--status", "done"], "status: 'done' is not on the standard scale"),
        (["--status", "in_progress", "--indicator", "Births|81%"], "name|value|YYYY-MM-DD"),
        (["--status", "in_progress", "--evidence", "www.example.org"], "evidence link 1"),
        (["--status", "in_progress", "--due", "June"], "write it as YYYY-MM-DD"),
        (["--status", "in_progress", "--recommendation", "999"], "no recommendation"),
    ],
)
def test_bad_updates_are_refused_and_nothing_is_stored(consulta, database, cast, extra, words):
    before = _stored(database)
    args = ["updates", "post", "--as", str(cast.government), *extra]
    if "--recommendation" not in extra:
        args += ["--recommendation", str(cast.recommendations[0])]
    _refused(consulta(*args), words)
    assert _stored(database) == before


def test_only_a_verified_reporter_may_post(consulta, database, cast):
    with database.unit_of_work() as session:
        unverified = person(session, Role.GOVERNMENT, "Ministry of Justice")
        unverified.verified_at = None
        someone = unverified.pseudonym
    before = _stored(database)
    _refused(
        _post(consulta, someone, cast.recommendations[0], "in_progress"),
        "only verified government focal points and NHRI staff",
    )
    assert _stored(database) == before


def _gap_example(consulta, database, cast) -> None:
    first = cast.recommendations[0]
    posted = _post(consulta, cast.government, first, "partially_implemented", "--json")
    approved = str(json.loads(posted.stdout)["id"])
    consulta("updates", "approve", approved, "--as", str(cast.organiser))
    _post(consulta, cast.nhri, first, "in_progress")
    with database.unit_of_work() as session:
        consultation = status_round(session, "GAPS", cast.recommendations)
        statuses = ["in_progress", "in_progress", "partially_implemented", "not_started"]
        for who, status in zip(
            crowd(session, 6), [*statuses, "in_progress", "dont_know"], strict=True
        ):
            give_status(session, who, consultation, cast.recommendations[0], status)
        for who in crowd(session, 2):
            give_status(session, who, consultation, cast.recommendations[1], "not_started")


def test_gaps_list_the_largest_first(consulta, database, cast):
    _gap_example(consulta, database, cast)
    rows = json.loads(consulta("gaps", "--json").stdout)
    assert [r["recommendation_id"] for r in rows] == list(cast.recommendations[:2])
    assert (rows[0]["gap_government"], rows[0]["gap_nhri"]) == (1.0, 0.0)
    assert rows[1]["civil_society"]["suppressed"] is True
    text = consulta("gaps", "--round", "gaps").stdout
    assert "2 partially implemented" in text and "counts below 5 are" in text
    lines = [line[1:-1].split("│") for line in text.splitlines() if line.startswith("│")]
    # A row's first line has its id; long references wrap onto a second line.
    cells = [[cell.strip() for cell in line] for line in lines if line[0].strip()]
    # id, reference, government, NHRI, CS mean, CS n, don't know, gap gov., gap NHRI
    # One "don't know" is below 5: hidden, like every small count.
    assert cells[0][2:] == ["2", "1", "1.00", "5", "<5", "1.00", "0.00"]
    assert cells[1][2:] == ["", "", "", "<5", "", "", ""]
    _refused(consulta("gaps", "--round", "NOPE"), "no round with the code 'NOPE'")


def test_recommendations_show_the_timeline(consulta, database, cast):
    _gap_example(consulta, database, cast)
    first = str(cast.recommendations[0])
    result = consulta("recommendations", "show", first, "--timeline")
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("timeline:\n")[1].splitlines()
    assert lines[0].startswith("  2024-01-09  [UPR cycle 4] recommendation made: UPR, session 44")
    assert any("consultation GAPS (open): mean 1.00 of 5" in line for line in lines)
    assert any(
        "update 1 v1 published by Ministry of Justice: partially_implemented" in line
        for line in lines
    )
    assert any("assessment 2 v1 published by" in line for line in lines)
    data = json.loads(consulta("recommendations", "show", first, "--timeline", "--json").stdout)
    assert data["timeline"][0]["kind"] == "recommendation"
    assert {e["kind"] for e in data["timeline"]} == {
        "recommendation",
        "update",
        "assessment",
        "consultation",
    }
    plain = json.loads(consulta("recommendations", "show", first, "--json").stdout)
    assert "timeline" not in plain
    with database.unit_of_work() as session:
        assert session.get(Participant, cast.organiser) is not None
