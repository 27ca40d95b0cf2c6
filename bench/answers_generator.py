"""A consultation database at scale, for the export benchmarks: a million answers by default.

The file has Consulta's real schema (migrated with `core.migrate.upgrade`) and holds what a
year of follow-up consultations would leave behind in one country:

- 5 rounds over the same survey, each scoped to 12 of 60 UPR recommendations;
- a survey of 12 questions (built with `surveys.definition`, saved with
  `core.survey_store.save_survey`): single choice, multiple choice, two ratings, two yes/no
  questions, an implementation status and a written example inside a loop over the
  recommendations each participant picks, a number and a closing comment;
- participants (one per 5 answers: 200,000 for a million) with pseudonyms, mostly in the
  civil society role, some in organisations of every type, speaking one of 6 languages and
  reached over Telegram, Slack or the webhook, each with a platform identity;
- conversations (most complete, some abandoned part way, a few that never started) and their
  answers, with values as the conversation engine stores them: a choice's id, a list of ids for
  multiple choice, an int for a rating or a number, JSON null with the `text` column for written
  answers and skipped optional questions; `kind` is the question's kind, every answer is its
  slot's current version and about 1.5% are withdrawn.

The small tables go through the ORM; participants, conversations and answers are written with
`executemany` on the raw sqlite3 connection, in one transaction with the journal off, which
takes about 15 seconds for a million answers. Files are cached in bench/results/cache/ (or
$BENCH_CACHE_DIR) under a name with GENERATOR_VERSION and the answer count, so a rerun reuses
them; change GENERATOR_VERSION whenever what is generated changes.

`.venv/bin/python -m bench.answers_generator [ANSWERS]` builds (or finds) one and prints its path.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core import migrate
from core.db import Database
from core.models import (
    Disclosure,
    Organisation,
    Recommendation,
    Round,
    RoundStatus,
    SurveyVersion,
)
from core.pseudonyms import pseudonym_for
from core.survey_store import save_survey
from core.vocabulary import Mechanism, OrganisationType, Position
from surveys.definition import ImplementationStatus, Survey

GENERATOR_VERSION = "1"
DEFAULT_ANSWERS = 1_000_000
ROUNDS = 5
RECOMMENDATIONS = 60
SCOPE = 12  # recommendations per round
ANSWERS_PER_PARTICIPANT = 5  # 1,000,000 answers -> 200,000 participants
LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")
CHANNELS = ("telegram", "slack", "webhook")
SURVEY_ID = "upr-follow-up-bench"
PSEUDONYM_KEY = b"bench-pseudonym-key-not-a-secret"
CACHE_DIR = Path(os.environ.get("BENCH_CACHE_DIR") or Path(__file__).parent / "results" / "cache")
BATCH = 50_000
SEED = 20240601
_EPOCH = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
_STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime on SQLite


@dataclass(frozen=True)
class Generated:
    """A generated database file and what it holds."""

    path: Path
    answers: int
    participants: int
    rounds: list[str]
    # Answers of each round, by code: every round gets the same share.
    answers_per_round: int

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


def database(answers: int = DEFAULT_ANSWERS, *, quiet: bool = False) -> Generated:
    """The cached file with this many answers, generated first when absent."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"answers-v{GENERATOR_VERSION}-{answers}.db"
    if not path.exists():
        partial = path.with_name(path.name + ".partial")
        for leftover in (partial, *(partial.with_name(partial.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        started = time.perf_counter()
        generate(partial, answers)
        partial.rename(path)
        if not quiet:
            print(
                f"answers_generator: wrote {answers:,} answers to {path} "
                f"in {time.perf_counter() - started:.1f} s "
                f"({path.stat().st_size / 1e6:,.0f} MB)"
            )
    return _describe(path, answers)


def _describe(path: Path, answers: int) -> Generated:
    with sqlite3.connect(path) as connection:
        codes = [code for (code,) in connection.execute("SELECT code FROM rounds ORDER BY id")]
        (participants,) = connection.execute("SELECT count(*) FROM participants").fetchone()
    connection.close()
    return Generated(path, answers, participants, codes, answers // ROUNDS)


# --- the survey ---------------------------------------------------------------------------

_STATUSES = [s.value for s in ImplementationStatus]


def _text(en: str, fr: str, es: str) -> dict[str, str]:
    return {"en": en, "fr": fr, "es": es}


def _choices(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"id": choice_id, "label": {"en": label}} for choice_id, label in pairs]


SECTORS = _choices(
    ("ngo", "Non-governmental organisation"),
    ("community", "Community-based organisation"),
    ("network", "Network or coalition"),
    ("human_rights_defender", "Individual human rights defender"),
    ("media", "Media"),
    ("other", "Other"),
)
THEMES = _choices(
    ("women", "Women's rights"),
    ("children", "Children's rights"),
    ("disability", "Persons with disabilities"),
    ("detention", "Detention and torture"),
    ("education", "Right to education"),
    ("health", "Right to health"),
    ("land", "Land and housing"),
    ("migrants", "Migrants and refugees"),
)
PRIORITIES = _choices(
    ("legislation", "Adopt or amend legislation"),
    ("budget", "Allocate a budget"),
    ("training", "Train officials"),
    ("data", "Collect disaggregated data"),
    ("monitoring", "Independent monitoring"),
)
CONTACT = _choices(
    ("telegram", "Telegram"),
    ("slack", "Slack"),
    ("email", "E-mail"),
    ("meetings", "Meetings in person"),
    ("website", "The website"),
)


def bench_survey() -> Survey:
    """The 12-question survey every round uses."""
    return Survey.model_validate(
        {
            "id": SURVEY_ID,
            "title": _text(
                "UPR follow-up: civil society consultation",
                "Suivi de l'EPU : consultation de la société civile",
                "Seguimiento del EPU: consulta a la sociedad civil",
            ),
            "languages": list(LANGUAGES),
            "default_language": "en",
            "questions": [
                {
                    "id": "sector",
                    "kind": "single_choice",
                    "label": _text(
                        "What kind of organisation do you represent?",
                        "Quel type d'organisation représentez-vous ?",
                        "¿Qué tipo de organización representa?",
                    ),
                    "choices": SECTORS,
                },
                {
                    "id": "themes",
                    "kind": "multiple_choice",
                    "label": _text(
                        "Which themes do you work on?",
                        "Sur quels thèmes travaillez-vous ?",
                        "¿En qué temas trabaja?",
                    ),
                    "choices": THEMES,
                },
                {
                    "id": "aware",
                    "kind": "yes_no",
                    "label": _text(
                        "Did you know the recommendations before this consultation?",
                        "Connaissiez-vous les recommandations avant cette consultation ?",
                        "¿Conocía las recomendaciones antes de esta consulta?",
                    ),
                },
                {
                    "id": "consulted",
                    "kind": "rating",
                    "min": 1,
                    "max": 5,
                    "label": _text(
                        "How well has the government consulted civil society?",
                        "Dans quelle mesure le gouvernement a-t-il consulté la société civile ?",
                        "¿En qué medida ha consultado el gobierno a la sociedad civil?",
                    ),
                },
                {
                    "id": "recs",
                    "kind": "loop",
                    "over": "recommendations",
                    "select": "recommendations",
                    "select_label": _text(
                        "Which recommendations can you tell us about?",
                        "Sur quelles recommandations pouvez-vous nous renseigner ?",
                        "¿Sobre qué recomendaciones puede informarnos?",
                    ),
                    "questions": [
                        {
                            "id": "status",
                            "kind": "implementation_status",
                            "label": _text(
                                "How far has this recommendation been implemented?",
                                "Où en est la mise en œuvre de cette recommandation ?",
                                "¿En qué medida se ha aplicado esta recomendación?",
                            ),
                        },
                        {
                            "id": "evidence",
                            "kind": "text",
                            "required": False,
                            "relevant": "${status} != 'dont_know'",
                            "label": _text(
                                "What evidence or example supports your assessment?",
                                "Quels éléments étayent votre évaluation ?",
                                "¿Qué pruebas respaldan su valoración?",
                            ),
                        },
                    ],
                },
                {
                    "id": "priority",
                    "kind": "single_choice",
                    "label": _text(
                        "What should the government do first?",
                        "Que devrait faire le gouvernement en priorité ?",
                        "¿Qué debería hacer primero el gobierno?",
                    ),
                    "choices": PRIORITIES,
                },
                {
                    "id": "satisfaction",
                    "kind": "rating",
                    "min": 0,
                    "max": 10,
                    "label": _text(
                        "How satisfied are you with progress overall?",
                        "Êtes-vous satisfait des progrès dans l'ensemble ?",
                        "¿Está satisfecho con el progreso en general?",
                    ),
                },
                {
                    "id": "contact",
                    "kind": "multiple_choice",
                    "label": _text(
                        "How would you like to hear about progress?",
                        "Comment souhaitez-vous être informé des progrès ?",
                        "¿Cómo desea recibir información sobre el progreso?",
                    ),
                    "choices": CONTACT,
                },
                {
                    "id": "staff",
                    "kind": "number",
                    "required": False,
                    "integer": True,
                    "min": 0,
                    "max": 100000,
                    "label": _text(
                        "How many people in your organisation work on these issues?",
                        "Combien de personnes travaillent sur ces questions ?",
                        "¿Cuántas personas trabajan en estos temas?",
                    ),
                },
                {
                    "id": "follow_up",
                    "kind": "yes_no",
                    "label": _text(
                        "May we contact you again about these recommendations?",
                        "Pouvons-nous vous recontacter à ce sujet ?",
                        "¿Podemos volver a contactarle sobre estas recomendaciones?",
                    ),
                },
                {
                    "id": "comments",
                    "kind": "text",
                    "required": False,
                    "label": _text(
                        "Anything else you want the mid-term report to say?",
                        "Autre chose que le rapport à mi-parcours devrait dire ?",
                        "¿Algo más que deba decir el informe de mitad de período?",
                    ),
                },
            ],
        }
    )


# --- free text ----------------------------------------------------------------------------

_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "The new law was adopted but is not applied in rural districts.",
        "Our shelter received no funding this year.",
        "Police still hold people for days without a lawyer.",
        "The ministry held one meeting and never followed up.",
        "Girls in the north still leave school early.",
        "There is a draft bill, but parliament has not discussed it.",
        "We documented 14 cases since January.",
        "Training took place in the capital only.",
        "No data is published, so progress cannot be measured.",
        "The national action plan mentions it without a budget.",
    ),
    "fr": (
        "La loi a été adoptée mais n'est pas appliquée dans les zones rurales.",
        "Notre refuge n'a reçu aucun financement cette année.",
        "La police garde encore des personnes plusieurs jours sans avocat.",
        "Le ministère a tenu une réunion sans aucune suite.",
        "Aucune donnée n'est publiée, les progrès ne peuvent être mesurés.",
        "Le plan d'action national le mentionne sans budget.",
    ),
    "es": (
        "La ley fue aprobada pero no se aplica en las zonas rurales.",
        "Nuestro albergue no recibió financiación este año.",
        "La policía sigue deteniendo a personas sin abogado durante días.",
        "El ministerio celebró una reunión y no hubo seguimiento.",
        "No se publican datos, así que no se puede medir el progreso.",
        "El plan nacional de acción lo menciona sin presupuesto.",
    ),
    "ar": (
        "اعتُمد القانون الجديد لكنه لا يطبق في المناطق الريفية.",
        "لم يتلق مأوانا أي تمويل هذا العام.",
        "لا تزال الشرطة تحتجز الأشخاص أياما دون محام.",
        "لا تُنشر أي بيانات، لذلك لا يمكن قياس التقدم.",
    ),
    "ru": (
        "Новый закон принят, но в сельских районах не применяется.",
        "Наш приют в этом году не получил финансирования.",
        "Полиция по-прежнему держит людей по несколько дней без адвоката.",
        "Данные не публикуются, поэтому прогресс нельзя измерить.",
    ),
    "zh": (
        "新法律已通过，但在农村地区没有执行。",
        "我们的庇护所今年没有获得任何资金。",
        "警方仍然在没有律师的情况下拘留人们数天。",
        "没有公布任何数据，因此无法衡量进展。",
    ),
}


def _written(rng: random.Random, language: str) -> str:
    phrases = _PHRASES[language]
    return " ".join(rng.choice(phrases) for _ in range(rng.choice((1, 1, 2, 2, 3, 4))))


# --- generation ---------------------------------------------------------------------------


def _pool(weighted: dict[Any, int]) -> list[Any]:
    """A list to draw from with rng.choice, each value as often as its weight."""
    return [value for value, weight in weighted.items() for _ in range(weight)]


def _json(value: Any) -> str:
    return json.dumps(value)  # the SQLite dialect's default JSON serializer


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STAMP)


def generate(path: Path, answers: int) -> None:
    """Write a migrated database with this many answers (a multiple of 5) to path."""
    rng = random.Random(SEED + answers)
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    setup = _small_tables(database, rng)
    database.dispose()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-200000")
        connection.execute("BEGIN")
        participants = _participants(connection, rng, answers // ANSWERS_PER_PARTICIPANT, setup)
        next_conversation, next_answer = 1, 1
        for number, (round_id, scope) in enumerate(setup.rounds):
            next_conversation, next_answer = _round(
                connection,
                rng,
                round_id=round_id,
                scope=scope,
                default_disclosure="organisation" if number == 2 else "anonymous",
                opens=_EPOCH + timedelta(days=70 * number),
                participants=participants,
                survey_version_id=setup.survey_version_id,
                answers=answers // ROUNDS,
                first_conversation=next_conversation,
                first_answer=next_answer,
            )
        connection.execute("COMMIT")
        # As the application leaves it: every connection it opens asks for WAL.
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


@dataclass
class _Setup:
    organisations: dict[str, list[int]]
    survey_version_id: int
    rounds: list[tuple[int, list[int]]]


def _small_tables(database: Database, rng: random.Random) -> _Setup:
    organisations: dict[str, list[int]] = {}
    names = {
        OrganisationType.GOVERNMENT: (
            "Ministry of Justice",
            "Ministry of Education",
            "Ministry of Health",
            "Ministry of Foreign Affairs",
            "National Statistics Office",
        ),
        OrganisationType.NHRI: ("National Human Rights Commission",),
        OrganisationType.CIVIL_SOCIETY: (
            "Women's Legal Aid Network",
            "Children First",
            "Disability Rights Coalition",
            "Prison Watch",
            "Land and Housing Forum",
            "Migrant Solidarity",
            "Rural Teachers' Association",
            "Health For All",
            "Press Freedom Centre",
            "Human Rights Defenders' Network",
        ),
        OrganisationType.ACADEMIA: (
            "University Law Faculty",
            "Institute for Social Research",
            "Centre for Human Rights Studies",
        ),
        OrganisationType.UN: ("UN Country Team", "OHCHR Regional Office"),
    }
    with database.unit_of_work() as session:
        for kind, titles in names.items():
            rows = [Organisation(name=t, type=kind, country="Arcadia") for t in titles]
            session.add_all(rows)
            session.flush()
            organisations[kind.value] = [o.id for o in rows]
        recommendations = []
        for number in range(1, RECOMMENDATIONS + 1):
            text = (
                f"Take measures to ensure that the recommendation number {number} on "
                f"{THEMES[number % len(THEMES)]['label']['en'].lower()} is implemented."
            )
            recommendations.append(
                Recommendation(
                    key=f"upr-4-arcadia-{number}",
                    content_fingerprint=f"{number:064x}",
                    source_id=f"146.{number}",
                    text=text,
                    language="en",
                    paragraph=f"146.{number}",
                    document_symbol="A/HRC/55/10",
                    state_under_review="Arcadia",
                    mechanism=Mechanism.UPR,
                    body="Working Group on the UPR",
                    position=rng.choice(list(Position)),
                    upr_cycle=4,
                    upr_session=45,
                )
            )
        session.add_all(recommendations)
        session.flush()
        saved = save_survey(session, bench_survey())
        version = session.scalar(
            select(SurveyVersion).where(SurveyVersion.version == saved.version)
        )
        assert version is not None
        rounds = []
        for number in range(ROUNDS):
            opens = _EPOCH + timedelta(days=70 * number)
            scope = recommendations[number * SCOPE : (number + 1) * SCOPE]
            rounds.append(
                Round(
                    code=f"MIDTERM-{2024 + number // 3}-{number + 1}",
                    title=f"Mid-term consultation, part {number + 1}",
                    status=RoundStatus.OPEN if number == ROUNDS - 1 else RoundStatus.CLOSED,
                    opens_at=opens,
                    closes_at=opens + timedelta(days=42),
                    timezone="Africa/Nairobi",
                    languages=list(LANGUAGES),
                    survey_id=version.survey_id,
                    scope={"mode": "list", "recommendations": [r.key for r in scope]},
                    default_disclosure=(
                        Disclosure.ORGANISATION if number == 2 else Disclosure.ANONYMOUS
                    ),
                    recommendations=scope,
                )
            )
        session.add_all(rounds)
        session.flush()
        return _Setup(
            organisations,
            version.id,
            [(r.id, [rec.id for rec in r.recommendations]) for r in rounds],
        )


@dataclass
class _Person:
    id: int
    language: str
    channel: str


_ROLES = _pool({"civil_society": 850, "academic": 50, "observer": 45, "government": 30, "nhri": 20})
_ROLE_ORGANISATION = {
    "civil_society": "civil_society",
    "academic": "academia",
    "observer": "un",
    "government": "government",
    "nhri": "nhri",
}
_LANGUAGES = _pool({"en": 35, "fr": 20, "es": 20, "ar": 10, "ru": 8, "zh": 7})
_CHANNELS = _pool({"telegram": 60, "slack": 15, "webhook": 25})
_TIMEZONES = ("Africa/Nairobi", "Europe/Geneva", "America/Bogota", "Asia/Amman", None, None)


def _participants(
    connection: sqlite3.Connection, rng: random.Random, count: int, setup: _Setup
) -> list[_Person]:
    people: list[_Person] = []
    participant_rows = []
    identity_rows = []
    for number in range(1, count + 1):
        # A handful of organisers run the rounds; everyone else has a role from the pool.
        role = "organiser" if number <= 10 else rng.choice(_ROLES)
        kind = _ROLE_ORGANISATION.get(role)
        organisation = None
        if kind and (kind != "civil_society" or rng.random() < 0.6):
            organisation = rng.choice(setup.organisations[kind])
        language = rng.choice(_LANGUAGES)
        channel = rng.choice(_CHANNELS)
        # Everyone joined before the first round opened: answers never predate their author.
        created = _EPOCH - timedelta(seconds=rng.uniform(3600, 180 * 86400))
        uid = f"{rng.getrandbits(128):032x}"
        verified = _stamp(created) if role in ("government", "nhri", "organiser") else None
        participant_rows.append(
            (
                number,
                uid,
                pseudonym_for(uid, PSEUDONYM_KEY),
                f"Participant {number}" if rng.random() < 0.1 else None,
                role,
                organisation,
                language,
                _stamp(created),
                _stamp(created + timedelta(days=200)) if rng.random() < 0.02 else None,
                rng.choice(_TIMEZONES),
                verified,
                1,
                '["export:raw"]' if role == "organiser" else "[]",
            )
        )
        identity_rows.append(
            (
                number,
                number,
                channel,
                str(700_000_000 + number) if channel == "telegram" else f"U{number:09d}",
                _stamp(created),
                1,
            )
        )
        people.append(_Person(number, language, channel))
    connection.executemany(
        "INSERT INTO participants (id, uid, pseudonym, display_name, role, organisation_id, "
        "language, created_at, opted_out_at, timezone, verified_at, auto_follow, grants) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        participant_rows,
    )
    connection.executemany(
        "INSERT INTO platform_identities (id, participant_id, platform, external_id, "
        "created_at, reachable) VALUES (?, ?, ?, ?, ?, ?)",
        identity_rows,
    )
    return people


_SECTOR = [_json(c["id"]) for c in SECTORS]
_SECTOR_POOL = _pool(dict(zip(_SECTOR, (50, 20, 10, 10, 4, 6), strict=True)))
_THEME_IDS = [c["id"] for c in THEMES]
_PRIORITY_POOL = _pool(
    dict(zip([_json(c["id"]) for c in PRIORITIES], (30, 25, 15, 20, 10), strict=True))
)
_CONTACT_IDS = [c["id"] for c in CONTACT]
_YES = _json("yes")
_NO = _json("no")
_STATUS_POOL = _pool(dict(zip([_json(s) for s in _STATUSES], (30, 35, 20, 5, 10), strict=True)))
_DONT_KNOW = _json(ImplementationStatus.DONT_KNOW.value)
_NULL = "null"
_TEXT_DISCLOSURE = _pool({"anonymous": 60, "organisation": 25, "named": 15})
_KIND = {
    "sector": "single_choice",
    "themes": "multiple_choice",
    "aware": "yes_no",
    "consulted": "rating",
    "status": "implementation_status",
    "evidence": "text",
    "priority": "single_choice",
    "satisfaction": "rating",
    "contact": "multiple_choice",
    "staff": "number",
    "follow_up": "yes_no",
    "comments": "text",
}


def _some(rng: random.Random, ids: list[str], most: int) -> str:
    """A multiple-choice value: ids in the order the options are listed, as the engine stores."""
    picked = set(rng.sample(range(len(ids)), rng.randint(1, most)))
    return _json([ids[i] for i in sorted(picked)])


def _steps(rng: random.Random, scope: list[int], language: str) -> Iterator[tuple[Any, ...]]:
    """(question, recommendation, value, text) of one complete conversation, in order."""
    yield "sector", None, rng.choice(_SECTOR_POOL), None
    yield "themes", None, _some(rng, _THEME_IDS, 3), None
    yield "aware", None, _YES if rng.random() < 0.55 else _NO, None
    yield "consulted", None, str(rng.choice((1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5))), None
    for recommendation in sorted(rng.sample(scope, rng.choice((1, 1, 2, 2, 3, 4, 5)))):
        status = rng.choice(_STATUS_POOL)
        yield "status", recommendation, status, None
        if status != _DONT_KNOW and rng.random() < 0.35:
            yield "evidence", recommendation, _NULL, _written(rng, language)
    yield "priority", None, rng.choice(_PRIORITY_POOL), None
    yield "satisfaction", None, str(min(10, max(0, int(rng.gauss(4.5, 2.2))))), None
    yield "contact", None, _some(rng, _CONTACT_IDS, 2), None
    # An optional number: skipped, it is stored as JSON null with no text.
    staff = _NULL if rng.random() < 0.25 else str(rng.choice((2, 3, 5, 8, 12, 40)))
    yield "staff", None, staff, None
    yield "follow_up", None, _YES if rng.random() < 0.7 else _NO, None
    if rng.random() < 0.3:
        yield "comments", None, _NULL, _written(rng, language)


def _round(
    connection: sqlite3.Connection,
    rng: random.Random,
    *,
    round_id: int,
    scope: list[int],
    default_disclosure: str,
    opens: datetime,
    participants: list[_Person],
    survey_version_id: int,
    answers: int,
    first_conversation: int,
    first_answer: int,
) -> tuple[int, int]:
    order = list(range(len(participants)))
    rng.shuffle(order)
    conversation_id, answer_id = first_conversation, first_answer
    written = 0
    conversations: list[tuple[Any, ...]] = []
    rows: list[tuple[Any, ...]] = []
    window = 42 * 86400
    for index in order:
        if written >= answers:
            break
        person = participants[index]
        started = opens + timedelta(seconds=rng.uniform(0, window))
        moment = started
        fate = rng.random()
        planned = [] if fate < 0.05 else list(_steps(rng, scope, person.language))
        complete = fate >= 0.4
        steps = planned if complete or not planned else planned[: rng.randrange(1, len(planned))]
        if written + len(steps) > answers:
            complete = False
            steps = steps[: answers - written]
        # Where an unfinished conversation stands: the step it asked and got no answer to.
        cursor = None
        if planned and not complete:
            question, recommendation = planned[len(steps)][:2]
            cursor = question if recommendation is None else f"{question}@{recommendation}"
        history = []
        for question, recommendation, value, text in steps:
            moment += timedelta(seconds=rng.uniform(15, 240))
            slot = question if recommendation is None else f"{question}@{recommendation}"
            history.append(slot)
            withdrawn = (
                _stamp(moment + timedelta(hours=rng.randrange(1, 72)))
                if rng.random() < 0.015
                else None
            )
            rows.append(
                (
                    answer_id,
                    conversation_id,
                    person.id,
                    round_id,
                    survey_version_id,
                    question,
                    recommendation,
                    slot,
                    value,
                    text,
                    person.language,
                    person.channel,
                    rng.choice(_TEXT_DISCLOSURE) if text else default_disclosure,
                    1,
                    1,
                    withdrawn,
                    _stamp(moment),
                    str(answer_id + 1000),
                    _KIND[question],
                )
            )
            answer_id += 1
        written += len(steps)
        if not steps:
            status = "declined" if fate < 0.02 else "consent"
        else:
            status = "completed" if complete else rng.choice(("active", "paused", "stopped"))
        picked = sorted({r for _, r, _, _ in steps if r is not None})
        conversations.append(
            (
                conversation_id,
                person.id,
                round_id,
                survey_version_id,
                status,
                cursor,
                _json(history),
                _json({"recs": picked} if picked else {}),
                "{}",
                len(steps) + 2,
                person.language,
                person.channel,
                _stamp(started),
                _stamp(moment),
                _stamp(moment) if complete else None,
            )
        )
        conversation_id += 1
        if len(rows) >= BATCH:
            _flush(connection, conversations, rows)
    _flush(connection, conversations, rows)
    return conversation_id, answer_id


def _flush(
    connection: sqlite3.Connection,
    conversations: list[tuple[Any, ...]],
    rows: list[tuple[Any, ...]],
) -> None:
    connection.executemany(
        "INSERT INTO conversations (id, participant_id, round_id, survey_version_id, status, "
        "cursor, history, selections, pending, prompt_seq, language, channel, started_at, "
        "updated_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        conversations,
    )
    connection.executemany(
        "INSERT INTO answers (id, conversation_id, participant_id, round_id, survey_version_id, "
        "question_id, recommendation_id, slot, value, text, language, channel, disclosure, "
        "version, is_current, withdrawn_at, answered_at, source_message_id, kind) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conversations.clear()
    rows.clear()


if __name__ == "__main__":
    generated = database(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ANSWERS)
    print(generated)
