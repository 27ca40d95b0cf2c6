"""Aggregated results: counts from the database, and one suppression pattern per round."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.models import Conversation, ConversationStatus, Disclosure, PlatformIdentity
from core.results import Table, free_text, raw_answers, round_responses, round_results
from core.rounds import find_round
from core.suppression import Grid, suppress
from core.vocabulary import Platform, Role
from tests.fakes.followup import CSO, crowd, give_answer, person, set_up, status_round


def _lines(table: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The sums a reader could use: each row with its total, each column with its total."""
    found = []
    rows = table["rows"]
    if table["question_kind"] != "multiple_choice":
        for row in rows:
            found.append([*row["cells"].values(), row["total"]])
    if table["column_totals"] is not None:
        for column in table["column_totals"]:
            found.append([r["cells"][column] for r in rows] + [table["column_totals"][column]])
        found.append([r["total"] for r in rows] + [table["total"]])
    return found


def _assert_safe(table: Table, k: int) -> None:
    data = table.as_data()
    for line in _lines(data):
        hidden = [entry for entry in line if entry["suppressed"]]
        assert len(hidden) != 1, f"{table.key}: one hidden count in a sum gives it away"
    for row in data["rows"]:
        for cell in row["cells"].values():
            assert cell["suppressed"] or cell["count"] >= k


def test_a_hidden_cell_cannot_be_worked_out_from_the_totals():
    # A: 3 yes, 10 no (13); B: 12 yes, 9 no (21). Hiding only the 3 would leave 13 - 10.
    grid = Grid(
        rows=["A", "B"],
        columns=["yes", "no"],
        cells={("A", "yes"): 3, ("A", "no"): 10, ("B", "yes"): 12, ("B", "no"): 9},
        row_totals={"A": 13, "B": 21},
        column_totals={"yes": 15, "no": 19},
        total=34,
        row_lines=True,
        column_lines=True,
    )
    hidden = suppress(grid, 5, set())
    assert ("c", "A", "yes") in hidden
    # Its row, and then the column the second hidden cell sits in, need company too.
    assert {("c", "A", "no"), ("c", "B", "no"), ("c", "B", "yes")} <= hidden
    assert not {("r", "A"), ("r", "B"), ("k", "yes"), ("k", "no"), ("t",)} & hidden


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(2, 4),
    st.lists(st.integers(0, 25), min_size=16, max_size=16),
    st.integers(2, 6),
)
def test_no_sum_ever_has_exactly_one_hidden_count(rows, columns, counts, k):
    row_keys = [f"r{n}" for n in range(rows)]
    column_keys = [f"c{n}" for n in range(columns)]
    cells = {
        (r, c): counts[i * 4 + j] for i, r in enumerate(row_keys) for j, c in enumerate(column_keys)
    }
    row_totals = {r: sum(cells[(r, c)] for c in column_keys) for r in row_keys}
    column_totals = {c: sum(cells[(r, c)] for r in row_keys) for c in column_keys}
    grid = Grid(
        row_keys,
        column_keys,
        cells,
        row_totals,
        column_totals,
        sum(row_totals.values()),
        True,
        True,
    )
    hidden = suppress(grid, k, set())
    for line in grid.lines():
        assert len([e for e in line if e in hidden]) != 1
    for entry in [("c", r, c) for r in row_keys for c in column_keys]:
        if grid.count(entry) < k:
            assert entry in hidden


def _sector_round(database):
    """30 people answer the sector question: 20 in English, 10 in French, on two channels."""
    set_up(database)
    with database.unit_of_work() as session:
        consultation = status_round(session, "RES01", [1, 2])
        people = crowd(session, 30)
        plan = (
            [("en", "health", Platform.TELEGRAM)] * 12
            + [("en", "education", Platform.TELEGRAM)] * 8
            + [("fr", "health", Platform.TELEGRAM)] * 6
            + [("fr", "health", Platform.SLACK)] * 1
            + [("fr", "justice", Platform.SLACK)] * 3
        )
        for participant, (language, sector, channel) in zip(people, plan, strict=True):
            give_answer(
                session,
                participant,
                consultation,
                "sector",
                sector,
                language=language,
                channel=channel,
            )
            for rec in (1, 2):
                give_answer(
                    session,
                    participant,
                    consultation,
                    "status",
                    "in_progress" if sector != "justice" else "not_started",
                    language=language,
                    channel=channel,
                    recommendation_id=rec,
                    kind="implementation_status",
                )


def test_a_value_hidden_in_one_table_is_hidden_in_every_table_of_the_round(database):
    _sector_round(database)
    with database.unit_of_work() as session:
        results = round_results(session, "RES01")
    sector = {t.dimension: t for t in results.for_question("sector")}
    assert sector["overall"].cell("all", "health").shown == 19
    # Justice (3) is below k; education (8) goes with it, or 30 - 19 would tell.
    assert sector["overall"].cell("all", "justice").suppressed
    assert sector["overall"].cell("all", "education").suppressed
    assert sector["overall"].total.shown == 30
    for dimension in ("language", "channel", "stakeholder_group", "organisation_type"):
        table = sector[dimension]
        assert table.column_totals is not None
        assert table.column_totals["justice"].suppressed, dimension
        assert table.column_totals["education"].suppressed, dimension
        assert not table.column_totals["health"].suppressed, dimension
    assert sector["language"].cell("en", "health").shown == 12
    assert sector["language"].cell("fr", "health").shown == 7
    for table in (*results.tables, *results.response):
        _assert_safe(table, results.k)
    # JSON writes a hidden count as null, flagged.
    assert sector["overall"].as_data()["rows"][0]["cells"]["justice"] == {
        "count": None,
        "suppressed": True,
    }
    assert sector["overall"].cell("all", "justice").text(results.k) == "<5"


def test_breakdowns_by_theme_count_an_answer_under_each_of_its_themes(database):
    _sector_round(database)
    with database.unit_of_work() as session:
        results = round_results(session, "RES01")
    by_theme = next(t for t in results.for_question("status") if t.dimension == "theme")
    overall = next(t for t in results.for_question("status") if t.dimension == "overall")
    # Recommendation 1 has two themes: its 30 answers count under both; no column sums.
    assert by_theme.column_totals is None
    assert by_theme.row_totals["Birth registration"].shown == 30
    assert by_theme.row_totals["Right to a nationality"].shown == 30
    assert by_theme.total == overall.total
    assert overall.total.shown == 60
    statuses = {row["recommendation_id"]: row for row in results.statuses}
    cells = statuses[1]["civil_society"]["cells"]
    assert cells["in_progress"] == {"count": 27, "suppressed": False}
    assert cells["not_started"]["suppressed"] and cells["fully_implemented"]["suppressed"]
    assert statuses[1]["civil_society"]["distribution"]["not_started"] is None
    # The status table by recommendation counts the same answers: what it hides, they hide.
    table = next(t for t in results.for_question("status") if t.dimension == "recommendation")
    for row in results.statuses:
        key = str(row["recommendation_id"])
        for value, cell in row["civil_society"]["cells"].items():
            if value in dict(table.columns) and table.cell(key, value).suppressed:
                assert cell["suppressed"], (key, value)
        if table.row_totals[key].suppressed:
            assert row["civil_society"]["responses"] is None


def test_response_counts_and_rates_against_the_invited(database):
    _sector_round(database)
    with database.unit_of_work() as session:
        consultation = find_round(session, "RES01")
        # Six more were invited (they joined) and gave nothing yet.
        for participant in crowd(session, 6):
            session.add(
                Conversation(
                    participant_id=participant.id,
                    round_id=consultation.id,
                    survey_version_id=1,
                    status=ConversationStatus.CONSENT,
                    channel=Platform.TELEGRAM,
                    language="en",
                )
            )
        session.flush()
        results = round_results(session, "RES01")
        alone = round_responses(session, "RES01")
    # The list of rounds counts people alone, and shows exactly what the full results show.
    assert [t.as_data() for t in alone.response] == [t.as_data() for t in results.response]
    assert alone.tables == []
    overall = results.table("response:overall")
    assert overall.cell("all", "invited").shown == 36
    assert overall.cell("all", "responded").shown == 30
    assert overall.rate("all") == round(30 / 36, 3)
    assert overall.as_data()["rows"][0]["rate"] == round(30 / 36, 3)
    by_language = results.table("response:language")
    assert by_language.cell("en", "invited").shown == 26
    assert by_language.cell("fr", "responded").shown == 10
    by_channel = results.table("response:channel")
    # Four answered on Slack: too few to show, and the Telegram count goes with it.
    assert by_channel.cell("slack", "responded").suppressed
    assert by_channel.cell("telegram", "responded").suppressed
    assert by_channel.rate("slack") is None
    _assert_safe(by_channel, results.k)


def test_free_text_names_only_as_far_as_its_author_allowed(database):
    set_up(database)
    with database.unit_of_work() as session:
        consultation = status_round(session, "RES02", [1])
        named, by_organisation, anonymous = (
            person(session, Role.CIVIL_SOCIETY, CSO) for _ in "abc"
        )
        for who, disclosure in (
            (named, Disclosure.NAMED),
            (by_organisation, Disclosure.ORGANISATION),
            (anonymous, Disclosure.ANONYMOUS),
        ):
            give_answer(
                session,
                who,
                consultation,
                "comment",
                None,
                text=f"said {disclosure.value}",
                disclosure=disclosure,
            )
        who_named = named.pseudonym
    with database.unit_of_work() as session:
        texts = {item.text: item for item in free_text(session, "RES02")}
    assert (texts["said named"].participant, texts["said named"].organisation) == (who_named, CSO)
    assert (texts["said organisation"].participant, texts["said organisation"].organisation) == (
        None,
        CSO,
    )
    assert (texts["said anonymous"].participant, texts["said anonymous"].organisation) == (
        None,
        None,
    )
    assert texts["said anonymous"].date == "2027-03-01"


def test_raw_answers_carry_pseudonyms_and_never_platform_ids(database):
    _sector_round(database)
    with database.unit_of_work() as session:
        for number, identity in enumerate(session.scalars(select(PlatformIdentity))):
            identity.external_id = f"tg-{number}"
        for participant in crowd(session, 2):
            participant.identities.append(
                PlatformIdentity(platform=Platform.TELEGRAM, external_id=f"secret-{participant.id}")
            )
        session.flush()
        rows = list(raw_answers(session, "RES01"))
        external = set(session.scalars(select(PlatformIdentity.external_id)))
    assert len(rows) == 90
    assert all(row["participant"].startswith("P-") for row in rows)
    flat = " ".join(str(v) for row in rows for v in row.values())
    assert not any(external_id in flat for external_id in external)
    assert {row["value"] for row in rows if row["question"] == "sector"} == {
        "health",
        "education",
        "justice",
    }


def test_a_status_row_hides_what_the_round_table_hides_for_its_recommendation():
    from core.gaps import Distribution, GapRow
    from core.results import Cell, _suppress_status

    counts = {
        "not_started": 6,
        "in_progress": 9,
        "partially_implemented": 10,
        "fully_implemented": 5,
        "dont_know": 6,
    }
    row = GapRow(
        recommendation_id=7, government=None, nhri=None, civil_society=Distribution(counts, 5)
    )
    alone = _suppress_status(row, [])["civil_society"]
    assert alone["responses"] == 30 and alone["distribution"]["partially_implemented"] == 10
    # Elsewhere in the round, this recommendation's row lost a cell and its total.
    table = Table(
        key="status:recommendation",
        title="Status",
        dimension="recommendation",
        dimension_label="Recommendation",
        rows=[("7", "#7")],
        columns=[("partially_implemented", "Partially"), ("in_progress", "In progress")],
        cells={
            ("7", "partially_implemented"): Cell(10, True),
            ("7", "in_progress"): Cell(9, True),
        },
        row_totals={"7": Cell(36, True)},
        column_totals=None,
        total=Cell(36, True),
        question_id="status",
        question_kind="implementation_status",
    )
    seeded = _suppress_status(row, [table])["civil_society"]
    assert seeded["responses"] is None
    assert seeded["cells"]["partially_implemented"]["suppressed"]
    assert seeded["cells"]["in_progress"]["suppressed"]
    assert seeded["distribution"]["partially_implemented"] is None
    hidden = [c for c in seeded["cells"].values() if c["suppressed"]]
    assert len(hidden) >= 2


def test_the_gap_list_hides_small_status_counts_too():
    from core.gaps import Distribution

    shown = Distribution(
        {"not_started": 0, "in_progress": 7, "partially_implemented": 2, "fully_implemented": 0},
        5,
    ).as_data()
    # 9 people gave a status: the mean may show, the 2 may not (nor the zeros).
    assert shown["mean"] is not None and shown["responses"] == 9
    assert shown["distribution"]["partially_implemented"] is None
    assert shown["distribution"]["not_started"] is None
    assert shown["distribution"]["in_progress"] == 7
    assert shown["cells"]["partially_implemented"] == {"count": None, "suppressed": True}
    # With one small count alone hidden, 9 - 7 would give it away: another goes with it.
    lone = Distribution(
        {"not_started": 6, "in_progress": 7, "partially_implemented": 2, "fully_implemented": 5},
        5,
    ).as_data()
    assert lone["distribution"]["partially_implemented"] is None
    assert sum(c["suppressed"] for s, c in lone["cells"].items() if s != "dont_know") >= 2
