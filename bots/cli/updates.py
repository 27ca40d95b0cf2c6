"""`consulta updates` and `consulta gaps`: implementation reports, their review, and the gaps.

Whoever runs the command line operates the installation and sees what organisers see.
Posting and reviewing act as a participant (`--as`), whose verified role must allow it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from bots.cli.common import (
    CLI_ACTOR,
    JsonFlag,
    Limit,
    err,
    make_app,
    open_database,
    organiser_language,
    out,
    print_json,
    table,
)
from core import gaps as gap_store
from core import people, updates
from core.errors import InvalidInput
from core.i18n import N_, gettext_for, translate
from core.models import Participant, UpdateState, UpdateVersion, utcnow
from core.updates import STATUS_SCALE
from core.vocabulary import Role
from surveys.definition import STATUS_LABELS, ImplementationStatus, localized

updates_app = make_app("Implementation updates by government and NHRI, and their review.")

As = Annotated[
    str, typer.Option("--as", help="Who acts: a participant's id or pseudonym.", show_default=False)
]


def operator() -> Participant:
    """The person at the command line, who sees what organisers see; never stored."""
    return Participant(role=Role.ORGANISER, verified_at=utcnow(), pseudonym=CLI_ACTOR)


def parse_indicator(text: str) -> dict[str, str]:
    """An --indicator given as name|value|YYYY-MM-DD."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) != 3:
        raise InvalidInput(
            N_("--indicator {value!r}: write it as name|value|YYYY-MM-DD"), value=text
        )
    name, value, measured = parts
    return {"name": name, "value": value, "date": measured}


def _subject(data: dict[str, Any], language: str) -> str:
    if data["cluster"]:
        return translate(language, "cluster {name}").format(name=data["cluster"])
    return ", ".join(f"#{r}" for r in data["recommendation_ids"])


@updates_app.command("list")
def updates_list(
    state: Annotated[UpdateState | None, typer.Option(help="Only versions in this state.")] = None,
    recommendation: Annotated[
        int | None, typer.Option("--recommendation", "-r", help="Only about this recommendation.")
    ] = None,
    limit: Limit = 100,
    as_json: JsonFlag = False,
) -> None:
    """List updates and assessments, newest first, each at its latest version."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = updates.list_updates(
            s, operator(), recommendation_id=recommendation, state=state, limit=limit
        )
    if as_json:
        print_json(rows)
        return
    language = organiser_language()
    _ = gettext_for(language)
    table(
        [
            _("id"),
            _("kind"),
            _("version"),
            _("state"),
            _("status"),
            _("about"),
            _("organisation"),
            _("posted"),
        ],
        [
            (
                r["id"],
                r["kind"],
                _("{version} of {versions}").format(version=r["version"], versions=r["versions"]),
                r["state"],
                r["status"],
                _subject(r, language),
                r["organisation"],
                r["posted_at"],
            )
            for r in rows
        ],
    )


@updates_app.command("show")
def updates_show(
    update_id: Annotated[int, typer.Argument(help="The update's number.")],
    as_json: JsonFlag = False,
) -> None:
    """Show an update with all its versions, oldest first."""
    viewer = operator()
    with open_database() as (_settings, database), database.unit_of_work() as s:
        update = updates.get_update(s, update_id)
        versions = [updates.describe(v, viewer) for v in updates.visible_versions(update, viewer)]
    if as_json:
        print_json({"id": update_id, "kind": update.kind.value, "versions": versions})
        return
    language = organiser_language()
    for data in versions:
        out.print(_version_text(data, language))
        out.print("")


def _version_text(data: dict[str, Any], language: str) -> str:
    _ = gettext_for(language)
    posted = {
        "organisation": data["organisation"] or "-",
        "author": data["author"] or "-",
        "posted": data["posted_at"],
        "published": data["published_at"],
    }
    lines = [
        _("Update {id}, version {version} of {versions} ({kind}, {state}): {status}").format(
            id=data["id"],
            version=data["version"],
            versions=data["versions"],
            kind=data["kind"],
            state=data["state"],
            status=data["status"],
        ),
        _("about: {subject}").format(subject=_subject(data, language)),
        (
            _("by: {organisation} ({author}), posted {posted}, published {published}")
            if data["published_at"]
            else _("by: {organisation} ({author}), posted {posted}")
        ).format(**posted),
    ]
    if data["responsible_entity"]:
        lines.append(_("responsible: {entity}").format(entity=data["responsible_entity"]))
    if data["narrative"]:
        lines.append(data["narrative"])
    for link in data["evidence"]:
        lines.append(_("evidence: {link}").format(link=link))
    for indicator in data["indicators"]:
        lines.append(
            _("indicator: {name} = {value} ({date})").format(
                name=indicator["name"], value=indicator["value"], date=indicator["date"]
            )
        )
    if data["next_step"]:
        next_step = (
            _("next step: {step} (by {due})") if data["next_step_due"] else _("next step: {step}")
        )
        lines.append(next_step.format(step=data["next_step"], due=data["next_step_due"]))
    if data["review_note"]:
        lines.append(_("review note: {note}").format(note=data["review_note"]))
    return "\n".join(lines)


@updates_app.command("post")
def updates_post(
    actor: As,
    status: Annotated[
        str,
        typer.Option(
            help="not_started, in_progress, partially_implemented or fully_implemented.",
            show_default=False,
        ),
    ],
    recommendation: Annotated[
        str | None, typer.Option(help="The recommendation's id, source id or key.")
    ] = None,
    cluster: Annotated[str | None, typer.Option(help="A cluster's name or id instead.")] = None,
    narrative: Annotated[str, typer.Option(help="What was done, in a few sentences.")] = "",
    evidence: Annotated[
        list[str] | None, typer.Option(help="An http(s) link to evidence; repeatable.")
    ] = None,
    entity: Annotated[
        str | None, typer.Option(help="The responsible ministry or agency (name or id).")
    ] = None,
    indicator: Annotated[
        list[str] | None,
        typer.Option(help='A measured value as "name|value|YYYY-MM-DD"; repeatable.'),
    ] = None,
    next_step: Annotated[str | None, typer.Option(help="What happens next.")] = None,
    due: Annotated[str | None, typer.Option(help="When the next step is due (YYYY-MM-DD).")] = None,
    language: Annotated[str, typer.Option(help="The language it is written in.")] = "en",
    as_json: JsonFlag = False,
) -> None:
    """Post an update as a government focal point (a draft) or the NHRI (published at once)."""
    draft = updates.UpdateDraft(
        status=status,
        narrative=narrative,
        evidence=evidence or [],
        responsible_entity=entity,
        indicators=[parse_indicator(text) for text in indicator or []],
        next_step=next_step,
        next_step_due=due,
        recommendation=recommendation,
        cluster=cluster,
        language=language,
        channel="cli",
    )
    with open_database() as (_settings, database), database.unit_of_work() as s:
        author = people.find_participant(s, actor)
        version = updates.post_update(s, author, draft)
        data = updates.describe(version, author)
    _report(data, as_json)


def _report(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(data)
        return
    _ = gettext_for(organiser_language())
    if data["state"] == UpdateState.DRAFT.value:
        said = _(
            "Update {id} version {version} is a draft until an organiser reviews it: "
            "consulta updates approve {id} --as ORGANISER "
            "(or reject {id} --as ORGANISER --note ...)."
        )
    elif data["state"] == UpdateState.PUBLISHED.value:
        said = _("Update {id} version {version} is published; its followers will be told.")
    else:
        said = _("Update {id} version {version} was sent back: {note}")
    err.print(said.format(id=data["id"], version=data["version"], note=data["review_note"]))


@updates_app.command("approve")
def updates_approve(
    update_id: Annotated[int, typer.Argument(help="The update's number.")],
    actor: As,
    note: Annotated[str | None, typer.Option(help="A note for the author.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Publish an update's draft; only a verified organiser may."""
    _review(actor, as_json, lambda s, reviewer: updates.approve(s, reviewer, update_id, note=note))


@updates_app.command("reject")
def updates_reject(
    update_id: Annotated[int, typer.Argument(help="The update's number.")],
    actor: As,
    note: Annotated[
        str, typer.Option(help="Why it is sent back, so the author can fix it.", show_default=False)
    ],
    as_json: JsonFlag = False,
) -> None:
    """Send an update's draft back to its author with a note; only a verified organiser may."""
    _review(actor, as_json, lambda s, reviewer: updates.reject(s, reviewer, update_id, note=note))


def _review(
    actor: str, as_json: bool, decide: Callable[[Session, Participant], UpdateVersion]
) -> None:
    with open_database() as (_settings, database), database.unit_of_work() as s:
        reviewer = people.find_participant(s, actor)
        data = updates.describe(decide(s, reviewer), reviewer)
    _report(data, as_json)


def gaps(
    round_code: Annotated[
        str | None,
        typer.Option("--round", help="Only this round's answers, with its smallest cell size."),
    ] = None,
    limit: Limit = 50,
    as_json: JsonFlag = False,
) -> None:
    """Recommendations by the largest gap between what is reported and what civil society sees."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = [
            row.as_data()
            for row in gap_store.perception_gaps(
                s, viewer=operator(), round_code=round_code, limit=limit
            )
        ]
    if as_json:
        print_json(rows)
        return
    language = organiser_language()
    _ = gettext_for(language)
    if not rows:
        err.print(_("No recommendation has a published status or a civil society answer yet."))
        return
    k = rows[0]["civil_society"]["k"]
    table(
        [
            _("id"),
            _("reference"),
            _("gov."),
            _("NHRI"),
            _("CS mean"),
            _("CS n"),
            _("don't know"),
            _("gap gov."),
            _("gap NHRI"),
        ],
        [
            (
                r["recommendation_id"],
                f"{r['body']} {r['paragraph'] or ''}".strip(),
                _reported(r["government"]),
                _reported(r["nhri"]),
                _number(r["civil_society"]["mean"]),
                _count(r["civil_society"]),
                _hidden_or(r["civil_society"], "dont_know", k),
                _number(r["gap_government"]),
                _number(r["gap_nhri"]),
            )
            for r in rows
        ],
        title=_(
            "Perception gaps, largest first. Status scale: {scale}. "
            "Civil society (CS) counts below {k} are withheld (<{k})."
        ).format(scale=_scale(language), k=k),
    )


def _hidden_or(view: dict[str, Any], key: str, k: int) -> Any:
    """A count of the civil-society view, or <k where it is hidden."""
    if view["suppressed"]:
        return ""
    value = view[key]
    return f"<{k}" if value is None else value


def _scale(language: str) -> str:
    """The status scale with its numbers, as "0 not started, 1 in progress, ..."."""
    return ", ".join(
        f"{number} {localized(STATUS_LABELS[ImplementationStatus(slug)], language).lower()}"
        for slug, number in STATUS_SCALE.items()
    )


def _reported(data: dict[str, Any] | None) -> str:
    return "" if data is None else str(data["value"])


def _count(data: dict[str, Any]) -> str:
    return f"<{data['k']}" if data["suppressed"] else str(data["responses"])


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _society(data: dict[str, Any], language: str) -> str:
    _ = gettext_for(language)
    if data["suppressed"]:
        return _("fewer than {k} answers").format(k=data["k"])
    if not data["responses"]:
        return _("no answers")
    return _("mean {mean} of {responses} ({dont_know} don't know)").format(
        mean=f"{data['mean']:.2f}", responses=data["responses"], dont_know=data["dont_know"]
    )


def timeline_line(event: dict[str, Any], language: str) -> str:
    """One event of a recommendation's timeline, on one line, in the organiser's language."""
    _ = gettext_for(language)
    cycle = (
        _("[UPR cycle {cycle}]").format(cycle=event["upr_cycle"]) + " "
        if event.get("upr_cycle")
        else ""
    )
    kind = event["kind"]
    if kind == "recommendation":
        where = ", ".join(
            str(part)
            for part in (
                event["body"],
                _("session {number}").format(number=event["upr_session"])
                if event["upr_session"]
                else None,
                event["document_symbol"],
                _("para. {paragraph}").format(paragraph=event["paragraph"])
                if event["paragraph"]
                else None,
                event["position"],
            )
            if part
        )
        said = _("recommendation made: {where}").format(where=where)
    elif kind == "consultation":
        said = _("consultation {round} ({status}): {answers}").format(
            round=event["round"], status=event["status"], answers=_society(event, language)
        )
    else:
        data = event["update"]
        said = _("{kind} {id} v{version} {state} by {who}: {status}").format(
            kind=kind,
            id=data["id"],
            version=data["version"],
            state=data["state"],
            who=data["organisation"] or "-",
            status=data["status"],
        )
    return f"{event['at']}  {cycle}{said}"
