"""`consulta rounds`: create, open, close, list, show and share consultation rounds."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from bots.cli.common import (
    CLI_ACTOR,
    JsonFlag,
    RecIds,
    err,
    make_app,
    open_database,
    organiser_language,
    out,
    print_json,
    table,
)
from core import rounds, share
from core.errors import ConsultaError
from core.i18n import N_, gettext_for, ngettext_for
from core.models import Disclosure
from core.vocabulary import Platform, Role

round_app = make_app("Consultation rounds: create, open, close, list, show and share.")

# Translators: the names of a round's details in `consulta rounds show`, as --json spells them.
ROUND_FIELDS = {
    "code": N_("code"),
    "title": N_("title"),
    "description": N_("description"),
    "status": N_("status"),
    "accepting_answers": N_("accepting_answers"),
    "survey": N_("survey"),
    "opens_at": N_("opens_at"),
    "closes_at": N_("closes_at"),
    "timezone": N_("timezone"),
    "languages": N_("languages"),
    "default_language": N_("default_language"),
    "scope": N_("scope"),
    "recommendations": N_("recommendations"),
    "audience": N_("audience"),
    "default_disclosure": N_("default_disclosure"),
    "allow_disclosure_choice": N_("allow_disclosure_choice"),
    "easy_read": N_("easy_read"),
    "min_cell_size": N_("min_cell_size"),
    "opens_local": N_("opens_local"),
    "closes_local": N_("closes_local"),
    "reminders": N_("reminders"),
    "digest": N_("digest"),
}


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConsultaError(
            N_("--{option} {value!r} is not a date and time such as 2027-03-01T09:00+01:00"),
            option=name,
            value=value,
        ) from None
    if moment.tzinfo is None:
        raise ConsultaError(
            N_("--{option} {value!r} needs a time zone, such as +01:00 or Z"),
            option=name,
            value=value,
        )
    return moment


@round_app.command("create")
def round_create(
    title: Annotated[str, typer.Option(help="What the round is about.")],
    survey: Annotated[str, typer.Option(help="The id of a saved survey.")],
    code: Annotated[str | None, typer.Option(help="Join code (generated when left out).")] = None,
    cluster: Annotated[str | None, typer.Option(help="Scope: a cluster's name or id.")] = None,
    theme: Annotated[str | None, typer.Option(help="Scope: a theme.")] = None,
    sdg: Annotated[str | None, typer.Option(help="Scope: an SDG goal or target.")] = None,
    country: Annotated[str | None, typer.Option(help="Scope: a state under review.")] = None,
    recommendation: RecIds = None,
    invited_only: Annotated[
        bool, typer.Option(help="Only the roles, organisations or languages given may join.")
    ] = False,
    role: Annotated[list[Role] | None, typer.Option(help="Admit this role; repeatable.")] = None,
    organisation: Annotated[
        list[str] | None, typer.Option(help="Admit this organisation; repeatable.")
    ] = None,
    language: Annotated[
        list[str] | None,
        typer.Option(help="A language of the round; repeatable; the first is the default."),
    ] = None,
    opens: Annotated[str | None, typer.Option(help="Opening time, ISO 8601 with zone.")] = None,
    closes: Annotated[str | None, typer.Option(help="Closing time, ISO 8601 with zone.")] = None,
    timezone: Annotated[str, typer.Option(help="The round's time zone.")] = "UTC",
    disclosure: Annotated[Disclosure, typer.Option(help="Default disclosure of answers.")] = (
        Disclosure.ANONYMOUS
    ),
    disclosure_choice: Annotated[
        bool, typer.Option(help="Let participants choose the disclosure of written answers.")
    ] = True,
    easy_read: Annotated[
        bool,
        typer.Option(
            "--easy-read",
            help="Ask everyone in the survey's easy-read wording, one question per message.",
        ),
    ] = False,
    min_cell_size: Annotated[int, typer.Option(help="Smallest count shown in results.")] = 5,
    remind_every: Annotated[
        int, typer.Option(help="Hours between reminders to those who have not finished.")
    ] = 72,
    max_reminders: Annotated[int, typer.Option(help="At most this many reminders.")] = 2,
    quiet_hours: Annotated[
        str, typer.Option(help="Hours when nothing is sent, in each participant's time: 21-8.")
    ] = "21-8",
    closing_notice: Annotated[
        int, typer.Option(help="Hours before closing to send a 'closing soon' notice.")
    ] = 48,
    digest: Annotated[
        str | None,
        typer.Option(help="Post counts to a chat: slack:CHANNEL:daily or telegram:GROUP:weekly."),
    ] = None,
    description: Annotated[str, typer.Option(help="A longer description.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a round in draft: a survey, a scope, an audience and a window."""
    languages = tuple(language or ["en"])
    plan = rounds.RoundPlan(
        title=title,
        survey=survey,
        code=code,
        description=description,
        scope=rounds.Scope(
            cluster=cluster,
            theme=theme,
            sdg=sdg,
            country=country,
            recommendation_ids=tuple(recommendation or ()),
        ),
        audience=rounds.Audience(
            invited_only=invited_only,
            roles=tuple(role or ()),
            organisations=tuple(organisation or ()),
            languages=tuple(language or ()) if invited_only else (),
        ),
        opens_at=_moment(opens, "opens"),
        closes_at=_moment(closes, "closes"),
        timezone=timezone,
        languages=languages,
        default_language=languages[0],
        default_disclosure=disclosure,
        allow_disclosure_choice=disclosure_choice,
        easy_read=easy_read,
        min_cell_size=min_cell_size,
        reminder_every_hours=remind_every,
        max_reminders=max_reminders,
        quiet_hours=_hours(quiet_hours),
        closing_notice_hours=closing_notice,
        digest=_digest(digest),
    )
    with open_database() as (_settings, database), database.unit_of_work() as s:
        data = rounds.describe(rounds.create_round(s, plan, actor=CLI_ACTOR))
    if as_json:
        print_json(data)
    else:
        ngettext = ngettext_for(organiser_language())
        err.print(
            ngettext(
                "Round {code} created in draft with {count} recommendation. "
                "Open it with: consulta rounds open {code}",
                "Round {code} created in draft with {count} recommendations. "
                "Open it with: consulta rounds open {code}",
                data["recommendations"],
            ).format(code=data["code"], count=data["recommendations"])
        )


@round_app.command("open")
def round_open(
    code: Annotated[str, typer.Argument(help="The round's code.")], as_json: JsonFlag = False
) -> None:
    """Open a round so participants can join with its code."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        data = rounds.describe(rounds.open_round(s, code, actor=CLI_ACTOR))
    if as_json:
        print_json(data)
    else:
        _ = gettext_for(organiser_language())
        err.print(
            _("Round {code} is open. Participants join by sending {code}.").format(
                code=data["code"]
            )
        )


@round_app.command("close")
def round_close(
    code: Annotated[str, typer.Argument(help="The round's code.")], as_json: JsonFlag = False
) -> None:
    """Close a round; its answers are kept."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        data = rounds.describe(rounds.close_round(s, code, actor=CLI_ACTOR))
    if as_json:
        print_json(data)
    else:
        _ = gettext_for(organiser_language())
        err.print(_("Round {code} is closed.").format(code=data["code"]))


@round_app.command("list")
def round_list(as_json: JsonFlag = False) -> None:
    """List rounds, newest first."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        rows = [rounds.describe(r) for r in rounds.list_rounds(s)]
    if as_json:
        print_json(rows)
    else:
        _ = gettext_for(organiser_language())
        table(
            [_("code"), _("title"), _("status"), _("survey"), _("recommendations"), _("closes_at")],
            [
                [
                    r["code"],
                    r["title"],
                    r["status"],
                    r["survey"],
                    r["recommendations"],
                    r["closes_at"],
                ]
                for r in rows
            ],
        )


@round_app.command("show")
def round_show(
    code: Annotated[str, typer.Argument(help="The round's code.")], as_json: JsonFlag = False
) -> None:
    """Show one round, join code included."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        data = rounds.describe(rounds.find_round(s, code))
    if as_json:
        print_json(data)
        return
    _ = gettext_for(organiser_language())
    for key, value in data.items():
        out.print(f"{_(ROUND_FIELDS.get(key, key))}: {value}")


def _write_share_files(kit: share.ShareKit, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for link in kit.links:
        if link.qr_target is None:
            continue
        stem = folder / f"{kit.code}-{link.channel.value}"
        png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
        png.write_bytes(share.qr_png(link.qr_target))
        svg.write_text(share.qr_svg(link.qr_target), encoding="utf-8")
        written += [png, svg]
    for invitation in kit.invitations:
        path = folder / f"{kit.code}-invitation-{invitation.language}.txt"
        path.write_text(invitation.text + "\n", encoding="utf-8")
        written.append(path)
    return written


@round_app.command("share")
def round_share(
    code: Annotated[str, typer.Argument(help="The round's code.")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            file_okay=False,
            help="Also write QR codes (PNG and SVG) and invitation texts to this folder.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Links, QR codes and invitation texts for spreading a round's join code."""
    with open_database() as (settings, database), database.unit_of_work() as s:
        kit = share.build_share_kit(
            rounds.find_round(s, code), settings, reader=organiser_language()
        )
    try:
        written = _write_share_files(kit, out_dir) if out_dir is not None else []
    except OSError as failure:
        raise ConsultaError(
            N_("could not write to {folder}: {reason}"), folder=out_dir, reason=failure.strerror
        ) from None
    if as_json:
        data = kit.as_data()
        if out_dir is not None:
            data["files"] = [str(path) for path in written]
        print_json(data)
    else:
        _print_kit(kit)
    if written:
        ngettext = ngettext_for(organiser_language())
        err.print(
            ngettext(
                "Wrote {count} file to {folder}:", "Wrote {count} files to {folder}:", len(written)
            ).format(count=len(written), folder=out_dir)
        )
        for path in written:
            err.print(f"  {path.name}")


def _print_kit(kit: share.ShareKit) -> None:
    _ = gettext_for(organiser_language())
    out.print(
        _("Round {code}: {title} ({status})").format(
            code=kit.code, title=kit.title, status=kit.status.value
        )
    )
    out.print("")
    for link in kit.links:
        state = "" if link.ready else " " + _("(not in invitations)")
        out.print(f"{link.channel.value}{state}: {link.url_or_instruction}")
        if link.text_to_send:
            out.print("  " + _("text to send: {text}").format(text=link.text_to_send))
        if link.operator_url:
            out.print("  " + _("gateway inbound URL: {url}").format(url=link.operator_url))
    if kit.notes:
        out.print("")
        for note in kit.notes:
            out.print(_("Note: {note}").format(note=note))
    for invitation in kit.invitations:
        out.print("")
        out.print(_("--- invitation ({language}) ---").format(language=invitation.language))
        out.print(invitation.text)


def _hours(text: str) -> tuple[int, int]:
    start, _dash, end = text.partition("-")
    if not (start.strip().isdigit() and end.strip().isdigit()):
        raise ConsultaError(N_("--quiet-hours {value!r} is not two hours such as 21-8"), value=text)
    return int(start), int(end)


def _digest(text: str | None) -> rounds.Digest | None:
    if text is None or text.strip().lower() == "off":
        return None
    parts = text.split(":")
    if len(parts) != 3 or parts[0] not in ("slack", "telegram"):
        raise ConsultaError(
            N_("--digest {value!r} is not slack:CHANNEL:daily or telegram:GROUP:weekly"),
            value=text,
        )
    return rounds.Digest(Platform(parts[0]), parts[1], parts[2])


@round_app.command("digest")
def round_digest(
    code: Annotated[str, typer.Argument(help="The round's code.")],
    target: Annotated[
        str, typer.Argument(help="slack:CHANNEL:daily, telegram:GROUP:weekly, or off.")
    ],
) -> None:
    """Post the round's response counts to a Slack channel or Telegram group, or stop."""
    with open_database() as (_settings, database), database.unit_of_work() as s:
        consultation = rounds.set_digest(s, code, _digest(target), actor=CLI_ACTOR)
        every = consultation.digest_every
    _ = gettext_for(organiser_language())
    err.print(_("Digest: {every}.").format(every=every or _("off")))
