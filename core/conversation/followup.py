"""Follow-up in chat: verifying a role, following, giving a view on an update, and posting one.

The engine hands these commands, buttons and form answers here. A form (posting an update,
writing a comment) lives in ChatForm until it is sent or cancelled, so a restart loses
nothing; only the person's own action opens one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import feedback, follows
from core.clusters import find_cluster, list_entities
from core.conversation.words import SWITCH_OFF, SWITCH_ON, Command, fold, number_from_word
from core.errors import ConsultaError, InvalidInput, NotFound
from core.i18n import N_
from core.invitations import effective_role, redeem
from core.messages import Expect, InboundEvent, Option
from core.models import (
    ChatForm,
    Conversation,
    ConversationStatus,
    FollowKind,
    ImplementationUpdate,
    Participant,
    UpdateState,
    UpdateVersion,
)
from core.recommendations import find as find_recommendation
from core.updates import (
    AUTHORS,
    MAX_NARRATIVE,
    STATUS_SCALE,
    UpdateDraft,
    check_link,
    parse_date,
    post_update,
)
from core.vocabulary import Role

UPDATE_FORM = "update"
COMMENT_FORM = "comment"
# Not a form anyone fills in: the buttons of the latest news, for typed numbers.
NOTICE_FORM = "notice"
FORM_OPTION = "uf"
# The fields of the update form, in the order they are asked.
FIELDS = ("target", "status", "narrative", "evidence", "entity", "indicators", "next_step", "due")
OPTIONAL = frozenset({"evidence", "entity", "indicators", "next_step", "due"})
MOST_ENTITY_BUTTONS = 10
FORM_IDLE = timedelta(hours=2)
# News is often read the next day.
NOTICE_IDLE = timedelta(days=2)
ROLE_NAMES = {Role.NHRI: N_("NHRI staff"), Role.GOVERNMENT: N_("government focal point")}


class Turn(Protocol):
    """What the engine's turn offers this module."""

    session: Session
    event: InboundEvent
    participant: Participant
    now: datetime
    language: str

    def t(self, message: str, **values: Any) -> str: ...

    def say(
        self,
        text: str,
        options: Sequence[Option] = (),
        expect: Expect = Expect.NOTHING,
        hint: str | None = None,
    ) -> None: ...

    def press(self, option_id: str) -> None: ...


def raw_argument(event: InboundEvent, folded: str) -> str:
    """The argument as typed (case and accents kept): the message's last words."""
    count = len(folded.split())
    if not count:
        return ""
    return " ".join((event.text or "").split()[-count:])


# --- verified roles -------------------------------------------------------------------------


def verify(turn: Turn, argument: str) -> None:
    """Redeem an organiser's invitation code."""
    if not argument:
        turn.say(
            turn.t(
                "Send verify and the invitation code the organisers gave you, for "
                "example: verify ABCDE-FGHJK."
            )
        )
        return
    try:
        invitation = redeem(turn.session, argument, turn.participant, now=turn.now)
    except InvalidInput as error:
        said = error.in_language(turn.language)
        turn.say(said[:1].upper() + said[1:] + turn.t("."))
        return
    organisation = invitation.organisation.name if invitation.organisation else ""
    turn.say(
        turn.t(
            "Thank you. You are now verified as {role} for {organisation}. Send update "
            "to report on a recommendation.",
            role=turn.t(ROLE_NAMES.get(invitation.role, invitation.role.value)),
            organisation=organisation,
        )
    )


# --- following ------------------------------------------------------------------------------


def follow(turn: Turn, argument: str) -> None:
    """Follow a recommendation, a theme or an SDG target."""
    if not argument:
        turn.say(
            turn.t(
                "Send follow and a theme, an SDG target or a recommendation's number, "
                "for example: follow education, follow 16.3 or follow #12. Send themes "
                "to see the themes."
            )
        )
        return
    try:
        kind, target, label = follows.resolve(turn.session, raw_argument(turn.event, argument))
    except (NotFound, InvalidInput) as error:
        turn.say(
            turn.t("I could not find that: {reason}.", reason=error.in_language(turn.language))
        )
        return
    followed(turn, kind, target, label)


def followed(turn: Turn, kind: FollowKind, target: str, label: str) -> None:
    """Follow something named by a command or a button, and say so."""
    added = follows.follow(turn.session, turn.participant, kind, target, now=turn.now)
    if not added:
        turn.say(turn.t("You already follow {what}.", what=label))
        return
    turn.say(
        turn.t(
            "You now follow {what}. When an update or a good practice on it is published, "
            "I will tell you, at most once a day. Send unfollow {what} to stop.",
            what=label,
        )
    )


def unfollow(turn: Turn, argument: str) -> None:
    """Stop following something."""
    try:
        kind, target, label = follows.resolve(turn.session, raw_argument(turn.event, argument))
    except (NotFound, InvalidInput) as error:
        turn.say(
            turn.t("I could not find that: {reason}.", reason=error.in_language(turn.language))
        )
        return
    if follows.unfollow(turn.session, turn.participant, kind, target):
        turn.say(turn.t("You no longer follow {what}.", what=label))
    else:
        turn.say(turn.t("You were not following {what}.", what=label))


def following(turn: Turn) -> None:
    """List what the participant follows."""
    rows = follows.following(turn.session, turn.participant)
    lines = (
        [turn.t("You follow:")]
        + [
            "• "
            + follows.describe(row)
            + (" " + turn.t("(because you answered on it)") if row.automatic else "")
            for row in rows
        ]
        if rows
        else [turn.t("You follow nothing yet. Send follow and a theme, for example.")]
    )
    lines.append(
        turn.t(
            "Answering on a recommendation makes you follow it. Send autofollow off to stop that."
        )
        if turn.participant.auto_follow
        else turn.t("Answering on a recommendation does not make you follow it (autofollow off).")
    )
    turn.say("\n".join(lines))


def autofollow(turn: Turn, argument: str) -> None:
    """Turn automatic following on or off."""
    choice = fold(argument)
    if choice not in SWITCH_ON | SWITCH_OFF:
        turn.say(turn.t("Send autofollow on, or autofollow off."))
        return
    on = choice in SWITCH_ON
    follows.set_auto_follow(turn.session, turn.participant, on)
    turn.say(
        turn.t("You will follow the recommendations you answer on.")
        if on
        else turn.t(
            "You will no longer follow recommendations by answering on them, and the "
            "ones you followed that way are removed."
        )
    )


def themes(turn: Turn) -> None:
    """List the themes one can follow."""
    found = follows.themes(turn.session)
    if not found:
        turn.say(turn.t("No themes are recorded yet."))
        return
    turn.say(
        turn.t("Themes you can follow (send follow and the theme):")
        + "\n"
        + "\n".join(f"• {code} ({count})" for code, count in found)
    )


# --- views on published updates -------------------------------------------------------------


def _published(turn: Turn, update_id: int) -> UpdateVersion | None:
    update = turn.session.get(ImplementationUpdate, update_id)
    if update is None:
        return None
    published = [v for v in update.versions if v.state is UpdateState.PUBLISHED]
    return published[-1] if published else None


def on_feedback_option(turn: Turn, update_id: int, action: str) -> None:
    """A follower pressed a button under an update."""
    version = _published(turn, update_id)
    if version is None:
        turn.say(turn.t("That update is no longer available."))
        return
    update = version.update
    common: dict[str, Any] = {
        "channel": turn.event.platform,
        "language": turn.language,
        "now": turn.now,
    }
    if action == "open":
        message = feedback.render(version, turn.language)
        turn.say(message.text, message.options, message.expect)
        offer(turn.session, turn.participant, message.options, turn.now)
        return
    if action in feedback.AGREEMENT_CHOICES:
        feedback.record(
            turn.session, turn.participant, update, feedback.AGREEMENT, value=action, **common
        )
        if action == "disagree":
            options = feedback.status_options(update_id, turn.language)
            turn.say(turn.t("What status would you give?"), options, Expect.CHOICE)
            offer(turn.session, turn.participant, options, turn.now)
            return
        # Agreeing is seeing the reported status; not knowing is counted apart.
        seen = version.status if action == "agree" else "dont_know"
        feedback.record_status(turn.session, turn.participant, update, seen, **common)
        _thank(turn, update_id)
        return
    status = feedback.status_from_action(action)
    if status is not None:
        feedback.record_status(turn.session, turn.participant, update, status, **common)
        _thank(turn, update_id)
        return
    if action == feedback.COMMENT:
        begin_form(turn, COMMENT_FORM, "text", {"update_id": update_id})
        turn.say(
            turn.t(
                "Write your comment in one message. The organisers will read it; next you "
                "choose whether the government and the NHRI may read it too, without "
                "your name. Send cancel to stop."
            ),
            expect=Expect.TEXT,
        )
        return
    if action in (feedback.SHARED, feedback.PRIVATE):
        form = turn.session.get(ChatForm, turn.participant.id)
        text = (form.values.get("text") if form and form.kind == COMMENT_FORM else None) or None
        if text is None:
            turn.say(turn.t("Press Add a comment under the update first."))
            return
        feedback.record(
            turn.session,
            turn.participant,
            update,
            feedback.COMMENT,
            value=action,
            text=text,
            **common,
        )
        turn.session.delete(form)
        turn.say(
            turn.t(
                "Thank you. Your comment is shared with the government and the NHRI, "
                "without your name."
            )
            if action == feedback.SHARED
            else turn.t("Thank you. Only the organisers will read your comment.")
        )
        return
    turn.say(turn.t("That button is no longer valid. Send help to see what you can do."))


def _thank(turn: Turn, update_id: int) -> None:
    options = (Option(feedback.option_id(update_id, feedback.COMMENT), turn.t("Add a comment")),)
    turn.say(
        turn.t("Thank you, your view is recorded. You can add a comment too."),
        options,
        Expect.CHOICE,
    )
    offer(turn.session, turn.participant, options, turn.now)


def _comment_text(turn: Turn, form: ChatForm, text: str) -> None:
    if not text:
        turn.say(turn.t("Please write your comment, or send cancel."), expect=Expect.TEXT)
        return
    if len(text) > feedback.MAX_COMMENT:
        turn.say(
            turn.t(
                "Your comment is {length} characters long; the limit is {limit}. Please "
                "shorten it and send it again.",
                length=len(text),
                limit=feedback.MAX_COMMENT,
            ),
            expect=Expect.TEXT,
        )
        return
    update_id = int(form.values["update_id"])
    form.values = {**form.values, "text": text}
    form.field = "share"
    form.updated_at = turn.now
    turn.say(
        turn.t("Who may read your comment?"),
        (
            Option(feedback.option_id(update_id, feedback.PRIVATE), turn.t("Organisers only")),
            Option(
                feedback.option_id(update_id, feedback.SHARED),
                turn.t("Also government and NHRI"),
            ),
        ),
        Expect.CHOICE,
    )


# --- the update form ------------------------------------------------------------------------


def begin_form(turn: Turn, kind: str, field: str, values: dict[str, Any]) -> ChatForm:
    """Open a form of this kind at its first field; it replaces any form left open."""
    form = turn.session.get(ChatForm, turn.participant.id)
    if form is None:
        form = ChatForm(participant_id=turn.participant.id, started_at=turn.now)
        turn.session.add(form)
    form.kind, form.field, form.values, form.updated_at = kind, field, values, turn.now
    turn.session.flush()
    return form


def start_update(turn: Turn, argument: str) -> None:
    """Begin posting an update, for verified government focal points and NHRI staff."""
    if effective_role(turn.participant) not in AUTHORS:
        turn.say(
            turn.t(
                "Only verified government focal points and NHRI staff can post updates. "
                "If you are one, ask the organisers for an invitation code and send "
                "verify CODE."
            )
        )
        return
    form = begin_form(turn, UPDATE_FORM, "target", {})
    turn.say(
        turn.t(
            "Let's post an update. Send cancel at any time to stop, or skip to leave "
            "out an optional field."
        )
    )
    if argument:
        _take(turn, form, raw_argument(turn.event, argument))
    else:
        _ask(turn, form)


def cancel(turn: Turn) -> bool:
    """Drop the form being filled in; False when there was none."""
    form = turn.session.get(ChatForm, turn.participant.id)
    if form is None:
        return False
    turn.session.delete(form)
    turn.say(turn.t("Cancelled. Nothing was posted."))
    return True


def on_form(turn: Turn, form: ChatForm, text: str, command: Command | None) -> bool:
    """Text, `skip` or a form button while a form is open; False when it was not for it."""
    if form.kind == NOTICE_FORM:
        return _on_notice(turn, form, text, command)
    if command is Command.CANCEL:
        cancel(turn)
        return True
    if form.kind == COMMENT_FORM:
        if form.field == "share":
            # Channels without buttons list the two choices; a typed number picks one.
            number = number_from_word(text, turn.language)
            if number in (1, 2):
                choice = feedback.PRIVATE if number == 1 else feedback.SHARED
                on_feedback_option(turn, int(form.values["update_id"]), choice)
                return True
            turn.say(turn.t("Please choose who may read your comment, or send cancel."))
            return True
        _comment_text(turn, form, text)
        return True
    if command is Command.SKIP:
        if form.field not in OPTIONAL:
            turn.say(turn.t("This field is needed."))
            _ask(turn, form)
            return True
        _next(turn, form, skip_due=form.field == "next_step")
        return True
    _take(turn, form, text)
    return True


def offer(
    session: Session, participant: Participant, options: Sequence[Option], now: datetime
) -> None:
    """Let a typed number press these buttons (news, a practice, a question), without buttons.

    Only when nothing else waits for a typed answer: a form being filled in, or a round's
    question, keeps its claim on the next number. Newer buttons replace older ones.
    """
    ids = [o.id for o in options if _stands_alone(o.id)]
    if not ids:
        return
    form = session.get(ChatForm, participant.id)
    if form is not None and form.kind != NOTICE_FORM:
        return
    asking = session.scalar(
        select(Conversation.id).where(
            Conversation.participant_id == participant.id,
            Conversation.status.in_((ConversationStatus.CONSENT, ConversationStatus.ACTIVE)),
        )
    )
    if asking is not None:
        return
    if form is None:
        form = ChatForm(participant_id=participant.id, started_at=now)
        session.add(form)
    form.kind, form.field, form.updated_at = NOTICE_FORM, "choice", now
    form.values = {"options": ids}
    session.flush()


def _stands_alone(option_id: str) -> bool:
    # A round's buttons (numbered by prompt) and a form's buttons belong to their step; a
    # number typed later must not answer them out of turn.
    prefix = option_id.split(".", 1)[0]
    return bool(prefix) and not prefix.isdigit() and prefix != FORM_OPTION


def _on_notice(turn: Turn, form: ChatForm, text: str, command: Command | None) -> bool:
    """A typed number presses a button of the latest news; anything else goes its usual way."""
    options = list(form.values.get("options") or [])
    number = None if command is not None else number_from_word(text, turn.language)
    turn.session.delete(form)
    turn.session.flush()
    if number is None or not 1 <= number <= len(options) or not _stands_alone(options[number - 1]):
        return False
    turn.press(options[number - 1])
    return True


def on_form_option(turn: Turn, form: ChatForm | None, choice: str) -> None:
    """A button of the update form: a status, an entity, or post / cancel."""
    if form is None or form.kind != UPDATE_FORM:
        turn.say(turn.t("That button is no longer valid. Send help to see what you can do."))
        return
    if choice == "cancel":
        cancel(turn)
    elif choice == "post":
        _post(turn, form)
    elif choice.startswith("s") and form.field == "status":
        number = choice[1:]
        slug = next((s for s, n in STATUS_SCALE.items() if str(n) == number), None)
        if slug is not None:
            _set(turn, form, "status", slug)
    elif choice.startswith("e") and form.field == "entity" and choice[1:].isdigit():
        _set(turn, form, "entity", int(choice[1:]))
    else:
        _ask(turn, form)


def _set(turn: Turn, form: ChatForm, field: str, value: Any) -> None:
    # The target is a recommendation or a cluster: it is stored under the name of which.
    given = value if field == "target" else {field: value}
    form.values = {**form.values, **given}
    _next(turn, form)


def _next(turn: Turn, form: ChatForm, *, skip_due: bool = False) -> None:
    position = FIELDS.index(form.field) if form.field in FIELDS else len(FIELDS)
    following_fields = list(FIELDS[position + 1 :])
    if skip_due or (form.field == "next_step" and not form.values.get("next_step")):
        following_fields = [f for f in following_fields if f != "due"]
    form.field = following_fields[0] if following_fields else "confirm"
    form.updated_at = turn.now
    _ask(turn, form)


def _take(turn: Turn, form: ChatForm, text: str) -> None:
    """Read a typed value for the field being asked; say what was wrong and ask again."""
    field = form.field
    try:
        value = _read(turn, field, text.strip())
    except ConsultaError as error:
        turn.say(turn.t("I could not use that: {reason}.", reason=error.in_language(turn.language)))
        _ask(turn, form)
        return
    if field == "confirm":
        if value:
            _post(turn, form)
        else:
            cancel(turn)
        return
    _set(turn, form, field, value)


def _read(turn: Turn, field: str, text: str) -> Any:
    if not text:
        raise InvalidInput("the message was empty")
    if field == "target":
        try:
            return {"recommendation": find_recommendation(turn.session, text).id}
        except NotFound:
            try:
                return {"cluster": find_cluster(turn.session, text).id}
            except NotFound:
                raise NotFound(
                    f"no recommendation or cluster {text[:60]!r}; send a recommendation's "
                    "number such as #12, or a cluster's name"
                ) from None
    if field == "status":
        number = number_from_word(text, turn.language)
        by_number = {n + 1: slug for slug, n in STATUS_SCALE.items()}
        if number in by_number:
            return by_number[number]
        typed = fold(text).replace(" ", "_")
        for slug in STATUS_SCALE:
            if typed in (slug, fold(feedback.status_label(slug, turn.language)).replace(" ", "_")):
                return slug
        raise InvalidInput("choose one of the statuses by its number (1 to 4)")
    if field == "narrative":
        if len(text) > MAX_NARRATIVE:
            raise InvalidInput(
                f"the narrative is {len(text):,} characters long; the limit is {MAX_NARRATIVE:,}"
            )
        return text
    if field == "evidence":
        return [check_link(link, f"link {n}") for n, link in enumerate(text.split(), start=1)]
    if field == "entity":
        # A typed number picks from the list shown; anything else names the entity.
        number = number_from_word(text, turn.language)
        shown = list_entities(turn.session)[:MOST_ENTITY_BUTTONS]
        if number is not None and 1 <= number <= len(shown):
            return shown[number - 1].id
        return text
    if field == "indicators":
        return [
            _indicator_line(line, n)
            for n, line in enumerate(text.splitlines(), start=1)
            if line.strip()
        ]
    if field == "next_step":
        return text
    if field == "due":
        due = parse_date(text, "target date")
        return due.isoformat() if due else None
    if field == "confirm":
        return read_confirmation(text)
    raise InvalidInput("unexpected field")


def read_confirmation(text: str) -> bool:
    """A typed answer to Post / Cancel: True to post, False to cancel."""
    choice = fold(text)
    if choice in ("1", "yes", "post", "oui", "si", "sí", "да", "نعم", "是"):
        return True
    if choice in ("2", "no", "non", "нет", "لا", "否"):
        return False
    raise InvalidInput(N_("send 1 to post, or 2 to cancel"))


def _indicator_line(line: str, number: int) -> dict[str, str]:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) != 3 or not all(parts):
        raise InvalidInput(f"indicator line {number} should read name | value | YYYY-MM-DD")
    measured = parse_date(parts[2], f"indicator line {number}'s date")
    assert measured is not None
    return {"name": parts[0], "value": parts[1], "date": measured.isoformat()}


def _ask(turn: Turn, form: ChatForm) -> None:
    field = form.field
    if field == "target":
        turn.say(
            turn.t(
                "Which recommendation is it about? Send its number (for example #12), "
                "or the name of a cluster."
            ),
            expect=Expect.TEXT,
        )
    elif field == "status":
        turn.say(
            turn.t("What is its status?"),
            tuple(
                Option(
                    f"{FORM_OPTION}.s{n}", f"{n + 1}. {feedback.status_label(slug, turn.language)}"
                )
                for slug, n in STATUS_SCALE.items()
            ),
            Expect.CHOICE,
        )
    elif field == "narrative":
        turn.say(turn.t("What has been done? Describe it in one message."), expect=Expect.TEXT)
    elif field == "evidence":
        turn.say(
            turn.t(
                "Links to evidence (web addresses starting with https://), separated by "
                "spaces or lines. Or send skip."
            ),
            expect=Expect.TEXT,
        )
    elif field == "entity":
        entities = list_entities(turn.session)[:MOST_ENTITY_BUTTONS]
        turn.say(
            turn.t("Which entity is responsible? Choose, type its name, or send skip."),
            tuple(
                Option(f"{FORM_OPTION}.e{e.id}", f"{n}. {e.acronym or e.name}")
                for n, e in enumerate(entities, start=1)
            ),
            Expect.CHOICE if entities else Expect.TEXT,
        )
    elif field == "indicators":
        turn.say(
            turn.t("Indicators, one per line as: name | value | YYYY-MM-DD. Or send skip."),
            expect=Expect.TEXT,
        )
    elif field == "next_step":
        turn.say(turn.t("What is the next planned step? Or send skip."), expect=Expect.TEXT)
    elif field == "due":
        turn.say(turn.t("By when is it planned? Send a date as YYYY-MM-DD."), expect=Expect.DATE)
    else:
        _confirm(turn, form)


def _confirm(turn: Turn, form: ChatForm) -> None:
    values = form.values
    target = (
        f"#{values['recommendation']}"
        if values.get("recommendation")
        else turn.t("cluster {name}", name=find_cluster(turn.session, values["cluster"]).name)
    )
    lines = [
        turn.t("Please check your update:"),
        turn.t("About: {target}", target=target),
        turn.t("Status: {status}", status=feedback.status_label(values["status"], turn.language)),
        feedback.shorten(values.get("narrative", ""), 500),
    ]
    if values.get("evidence"):
        lines.append(turn.t("Evidence: {links}", links=" ".join(values["evidence"])))
    if values.get("indicators"):
        lines.append(turn.t("Indicators: {count}", count=len(values["indicators"])))
    if values.get("next_step"):
        lines.append(
            turn.t("Next step: {step}", step=feedback.shorten(values["next_step"], 200))
            + (f" ({values['due']})" if values.get("due") else "")
        )
    turn.say(
        "\n".join(lines),
        (
            Option(f"{FORM_OPTION}.post", turn.t("1. Post")),
            Option(f"{FORM_OPTION}.cancel", turn.t("2. Cancel")),
        ),
        Expect.CHOICE,
    )


def _post(turn: Turn, form: ChatForm) -> None:
    values = form.values
    draft = UpdateDraft(
        status=values.get("status", ""),
        narrative=values.get("narrative", ""),
        evidence=values.get("evidence") or (),
        responsible_entity=values.get("entity"),
        indicators=values.get("indicators") or (),
        next_step=values.get("next_step"),
        next_step_due=values.get("due") or None,
        recommendation=values.get("recommendation"),
        cluster=values.get("cluster"),
        language=turn.language,
        channel=turn.event.platform.value,
    )
    try:
        version = post_update(turn.session, turn.participant, draft, now=turn.now)
    except ConsultaError as error:
        turn.session.delete(form)
        turn.say(
            turn.t(
                "Your update could not be posted: {reason}.",
                reason=error.in_language(turn.language),
            )
        )
        return
    turn.session.delete(form)
    if version.state is UpdateState.PUBLISHED:
        turn.say(
            turn.t(
                "Published as assessment #{number}. Its followers will hear about it.",
                number=version.update_id,
            )
        )
    else:
        turn.say(
            turn.t(
                "Posted as draft update #{number}. The secretariat reviews it before it is "
                "published.",
                number=version.update_id,
            )
        )


def open_form(session: Session, participant: Participant, now: datetime) -> ChatForm | None:
    """The form the participant is filling in, if any; one left idle is dropped."""
    form = session.scalar(select(ChatForm).where(ChatForm.participant_id == participant.id))
    idle = NOTICE_IDLE if form is not None and form.kind == NOTICE_FORM else FORM_IDLE
    if form is not None and now - form.updated_at > idle:
        # Someone who walked away from a comment must not have their next round answer
        # taken as one.
        session.delete(form)
        session.flush()
        return None
    return form
