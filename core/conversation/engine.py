"""The conversation engine: takes one neutral inbound event, returns what to say back.

It runs inside the caller's unit of work, so the delivery record, the answer, the new state
and the replies commit together or not at all. It imports no platform library.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import answers as answer_store
from core import audit, feedback, follows, formatting
from core.conversation import followup, plan, practices_chat
from core.conversation.plan import LoopScope, Step, StepKind
from core.conversation.reading import (
    Accepted,
    Refused,
    choice_value,
    match_choice,
    read_answer,
    read_choices,
)
from core.conversation.words import (
    SWITCH_OFF,
    SWITCH_ON,
    Command,
    command_word,
    fold,
    parse_command,
)
from core.db import insert_once
from core.errors import InvalidInput, NotFound
from core.i18n import N_, SUPPORTED_LANGUAGES, translate, translate_plural
from core.linking import create_link_code, redeem_link_code
from core.messages import Expect, InboundEvent, Option, OutboundMessage
from core.models import (
    Answer,
    ChatForm,
    Conversation,
    ConversationStatus,
    Delivery,
    Disclosure,
    Participant,
    Recommendation,
    Round,
    Tag,
    TagKind,
    recommendation_tags,
    round_recommendations,
    utcnow,
)
from core.people import participant_for_identity, set_reachable
from core.rounds import admits, find_round, is_open
from core.survey_store import definition_of, latest_version
from surveys.definition import (
    Choice,
    Kind,
    LocalizedText,
    Loop,
    LoopSelection,
    Question,
    Survey,
)

LIVE = (
    ConversationStatus.CONSENT,
    ConversationStatus.ACTIVE,
    ConversationStatus.PAUSED,
    ConversationStatus.COMPLETED,
)
EXPECTS = {
    Kind.SINGLE_CHOICE: Expect.CHOICE,
    Kind.RATING: Expect.CHOICE,
    Kind.IMPLEMENTATION_STATUS: Expect.CHOICE,
    Kind.YES_NO: Expect.CHOICE,
    Kind.MULTIPLE_CHOICE: Expect.CHOICES,
    Kind.TEXT: Expect.TEXT,
    Kind.NUMBER: Expect.NUMBER,
    Kind.DATE: Expect.DATE,
    Kind.NOTE: Expect.NOTHING,
}
DONE = "done"
# The built-in yes and no, in every language, also understood at the profile consent step.
YES_NO = Question(id="yes_no", kind=Kind.YES_NO)
# Commands that make sense with no consultation under way.
ANYTIME = frozenset(
    {
        Command.JOIN,
        Command.HELP,
        Command.OPTOUT,
        Command.LANGUAGE,
        Command.LINK,
        Command.TIMEZONE,
        Command.VERIFY,
        Command.FOLLOW,
        Command.UNFOLLOW,
        Command.FOLLOWING,
        Command.AUTOFOLLOW,
        Command.THEMES,
        Command.UPDATE,
        Command.CANCEL,
        Command.TEXTONLY,
        Command.EASYREAD,
        Command.PRACTICES,
        Command.PRACTICE,
        Command.PUBLISH,
    }
)
# Inside a form, these steer it; every other message is the form's answer.
FORM_COMMANDS = frozenset({Command.SKIP, Command.CANCEL})
# Typed at a written question or into a form without a slash, these read as the answer they
# look like ("follow the money", "join ABC" when no round has that code, "Pratiques de ...").
ANSWER_LIKE = frozenset(
    {
        Command.JOIN,
        Command.FOLLOW,
        Command.UNFOLLOW,
        Command.VERIFY,
        Command.UPDATE,
        Command.PRACTICES,
        Command.PRACTICE,
        Command.PUBLISH,
    }
)


@dataclass(frozen=True)
class EngineContext:
    """What the engine needs from outside: the pseudonym key and the time."""

    pseudonym_key: bytes
    now: datetime | None = None


@dataclass(frozen=True)
class Processed:
    """What one inbound event did: the replies, whether it was a redelivery, answers stored."""

    replies: list[OutboundMessage]
    duplicate: bool
    answers_stored: int


def process(session: Session, event: InboundEvent, context: EngineContext) -> Processed:
    """Process one inbound event in the caller's transaction, and say what it did."""
    if event.delivery_id and _seen_before(session, event):
        return Processed([], duplicate=True, answers_stored=0)
    before = answer_store.stored_in(session)
    replies = _respond(session, event, context)
    return Processed(
        replies, duplicate=False, answers_stored=answer_store.stored_in(session) - before
    )


def handle(session: Session, event: InboundEvent, context: EngineContext) -> list[OutboundMessage]:
    """Process one inbound event and return the replies, in the caller's transaction."""
    return process(session, event, context).replies


def _respond(
    session: Session, event: InboundEvent, context: EngineContext
) -> list[OutboundMessage]:
    if not event.is_private:
        # Answers are personal: nothing said in a group is stored.
        language = event.language_hint or "en"
        return [
            OutboundMessage(
                translate(
                    language, "I only take answers in a private chat. Please write to me directly."
                ),
                language=language,
            )
        ]
    participant, _ = participant_for_identity(
        session,
        pseudonym_key=context.pseudonym_key,
        platform=event.platform,
        external_id=event.sender_id,
        language=_supported(event.language_hint),
    )
    if participant.opted_out_at is not None:
        # Writing again is how someone who opted out comes back.
        participant.opted_out_at = None
    hinted = _supported(event.language_hint)
    if hinted and not participant.language_chosen:
        # Until the person chooses, the platform's latest hint is their language (they may
        # have switched their phone's language since).
        participant.language = hinted
    # The platform's profile zone (Slack) is the most reliable; `timezone` sets it elsewhere.
    if event.timezone_hint and _valid_zone(event.timezone_hint):
        participant.timezone = event.timezone_hint
    # Someone who writes to the bot has evidently unblocked it.
    set_reachable(session, platform=event.platform, external_id=event.sender_id, reachable=True)
    turn = _Turn(session, event, participant, context.now or utcnow())
    return turn.edit() if event.edited else turn.run()


def _seen_before(session: Session, event: InboundEvent) -> bool:
    assert event.delivery_id is not None
    key = (event.platform, event.delivery_id[:120])
    if session.get(Delivery, key) is not None:
        return True
    # False when a concurrent worker took the same delivery first.
    return not insert_once(session, Delivery(platform=key[0], delivery_id=key[1]))


def offered_languages(consultation: Round, survey: Survey) -> tuple[str, ...]:
    """The languages a round is answered in: its own the survey speaks, else the survey's."""
    offered = tuple(c for c in consultation.languages if c in survey.languages)
    others = (c for c in survey.languages if c != survey.default_language)
    return offered or (survey.default_language, *others)


def closed_text(consultation: Round, language: str, now: datetime) -> str | None:
    """Why a round takes no answers now, for the person reading; None while it is open."""
    if is_open(consultation, now):
        return None
    if consultation.closes_at is not None and consultation.closes_at <= now:
        return translate(
            language,
            "The consultation {code} closed on {day}. Thank you; answers given "
            "before then are kept.",
        ).format(
            code=consultation.code,
            day=formatting.day(consultation.closes_at, language, consultation.timezone),
        )
    return translate(language, "The consultation {code} is not open yet.").format(
        code=consultation.code
    )


def _is_note(step: Step) -> bool:
    return step.question is not None and step.question.kind is Kind.NOTE


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _zone_named(typed: str) -> str | None:
    """The IANA zone a person typed, whatever its case (europe/paris works)."""
    wanted = typed.strip().casefold()
    if not wanted:
        return None
    for name in available_timezones():
        if name.casefold() == wanted:
            return name
    return None


def _supported(language: str | None) -> str | None:
    if not language:
        return None
    base = language.split("-")[0].lower()
    return base if base in SUPPORTED_LANGUAGES else None


class _Turn:
    """One inbound event's worth of work for one participant."""

    def __init__(
        self, session: Session, event: InboundEvent, participant: Participant, now: datetime
    ) -> None:
        self.session = session
        self.event = event
        self.participant = participant
        self.now = now
        self.replies: list[OutboundMessage] = []
        self.conversation: Conversation | None = self._current_conversation()
        self.language = (
            self.conversation.language if self.conversation else participant.language or "en"
        )
        self._survey: Survey | None = None
        self._answers: dict[str, Answer] | None = None
        self._scope: LoopScope | None = None
        self._steps: list[Step] | None = None
        self._profile_ids: frozenset[str] | None = None
        # The languages survey wording was shown in because the person's was missing.
        self._shown_in: set[str] = set()

    # --- helpers ------------------------------------------------------------------------------

    def t(self, message: str, **values: Any) -> str:
        text = translate(self.language, message)
        return text.format(**values) if values else text

    def tn(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """The form of a message the language uses for n, with n written in its locale."""
        text = translate_plural(self.language, singular, plural, n)
        return text.format(n=formatting.number(n, self.language), **values)

    def say(
        self,
        text: str,
        options: Sequence[Option] = (),
        expect: Expect = Expect.NOTHING,
        hint: str | None = None,
    ) -> None:
        self.replies.append(
            OutboundMessage(
                text,
                tuple(options),
                expect,
                hint,
                self.language,
                text_only=self.participant.text_only,
            )
        )

    def say_already_done(self) -> None:
        self.say(
            self.t(
                "You have already answered this consultation. Send review to see "
                "your answers, or change N to change one."
            )
        )

    def record(
        self, action: str, subject_type: str, subject_id: str, details: dict[str, Any] | None = None
    ) -> None:
        """An audit line by this participant, under their pseudonym."""
        audit.record(
            self.session,
            actor=self.participant.pseudonym,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details,
        )

    def _current_conversation(self) -> Conversation | None:
        return self.session.scalar(
            select(Conversation)
            .where(
                Conversation.participant_id == self.participant.id, Conversation.status.in_(LIVE)
            )
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(1)
        )

    @property
    def survey(self) -> Survey:
        if self._survey is None:
            assert self.conversation is not None
            self._survey = definition_of(self.conversation.survey_version)
        return self._survey

    @property
    def answers(self) -> dict[str, Answer]:
        if self._answers is None:
            assert self.conversation is not None
            self._answers = answer_store.current_answers(self.session, self.conversation.id)
        return self._answers

    @property
    def scope(self) -> LoopScope:
        if self._scope is None:
            assert self.conversation is not None
            ids = list(
                self.session.scalars(
                    select(round_recommendations.c.recommendation_id)
                    .where(round_recommendations.c.round_id == self.conversation.round_id)
                    .order_by(round_recommendations.c.recommendation_id)
                )
            )
            themes: dict[int, list[str]] = {}
            if any(
                isinstance(i, Loop) and i.select is LoopSelection.THEMES for i in self.survey.walk()
            ):
                rows = self.session.execute(
                    select(recommendation_tags.c.recommendation_id, Tag.code)
                    .join(Tag, Tag.id == recommendation_tags.c.tag_id)
                    .join(
                        round_recommendations,
                        round_recommendations.c.recommendation_id
                        == recommendation_tags.c.recommendation_id,
                    )
                    .where(
                        round_recommendations.c.round_id == self.conversation.round_id,
                        Tag.kind == TagKind.THEME,
                    )
                )
                for rec_id, code in rows:
                    themes.setdefault(rec_id, []).append(code)
            self._scope = LoopScope(ids, lambda r: themes.get(r, []))
        return self._scope

    @property
    def profile_ids(self) -> frozenset[str]:
        """The ids of the survey's profile questions."""
        if self._profile_ids is None:
            self._profile_ids = frozenset(
                q.id for q in self.survey.walk() if isinstance(q, Question) and q.profile
            )
        return self._profile_ids

    def _profile_accepted(self) -> bool:
        return plan.profile_consent(self._live().selections) is True

    def value_of(self, question_id: str, recommendation_id: int | None) -> Any:
        # A withdrawn answer still steers the flow: withdrawing removes it from results, and
        # must not reshuffle the questions the participant is in the middle of.
        answer = self.answers.get(plan.slot_for(question_id, recommendation_id))
        if answer is None:
            return ""
        if not self._profile_accepted() and answer.question_id in self.profile_ids:
            # Profile answers given before declining them count for nothing, skip logic included.
            return ""
        if answer.value is None:
            return answer.text or ""
        return answer.value

    def steps(self) -> list[Step]:
        # Worked out once per turn and again only after something it depends on changed
        # (an answer, a loop selection): a turn looks steps up several times.
        if self._steps is None:
            assert self.conversation is not None
            self._steps = list(
                plan.steps(self.survey, self.scope, self.conversation.selections, self.value_of)
            )
        return self._steps

    # --- the turn -----------------------------------------------------------------------------

    def run(self) -> list[OutboundMessage]:
        self._dispatch()
        if self.conversation is not None:
            # The engine's clock, not the database's: reminders measure silence from here.
            self.conversation.updated_at = self.now
        return self.replies

    def _dispatch(self) -> None:
        text = (self.event.text or "").strip()
        option = self.event.option_id
        chosen = _supported(self.event.language_choice)
        if chosen is not None and (chosen != self.language or not self.participant.language_chosen):
            if not text and not option:
                # A choice on its own (a picker): confirm it and ask the question again.
                self.change_language(chosen)
                return
            # A choice that comes with every message (a web form, a gateway setting) switches
            # quietly, and the message is read in the new language.
            self.choose_language(chosen)
        if option:
            self.press(option)
            return
        command = parse_command(text) if text else None
        form = followup.open_form(self.session, self.participant, self.now)
        if form is not None and form.kind == followup.NOTICE_FORM and command is not None:
            # Any command moves on from the news; a number typed later is not about it.
            self.session.delete(form)
            self.session.flush()
            form = None
        if (
            form is not None
            and command is not None
            and command[0] in ANSWER_LIKE
            and not text.startswith("/")
        ):
            # "Pratiques de consultation" typed as a practice's title is the title.
            command = None
        # A form takes the message, unless it was only waiting for a number and got none.
        if (
            form is not None
            and (command is None or command[0] in FORM_COMMANDS)
            and self._on_form(form, text, command[0] if command else None)
        ):
            return
        if command is None and text and self._is_round_code(text):
            command = (Command.JOIN, text)
        if command is not None and not self._answers_a_text_question(command):
            self.on_command(*command)
            return
        if self.conversation is None:
            self.say(
                self.t(
                    "Hello! To take part in a consultation, send its code, "
                    "for example: join ABC123. Send help to see what I can do."
                )
            )
            return
        self.on_text(text)

    def press(self, option: str) -> None:
        """A button pressed, or picked by its typed number on a channel without buttons."""
        about_update = feedback.parse_option(option)
        if about_update is not None:
            followup.on_feedback_option(self, *about_update)
        elif practices_chat.parse_option(option) is not None:
            practices_chat.on_option(self, option)
        elif option.startswith(followup.FORM_OPTION + "."):
            form = followup.open_form(self.session, self.participant, self.now)
            choice = option.split(".", 1)[1]
            if form is not None and form.kind in practices_chat.FORMS:
                practices_chat.on_form_option(self, form, choice)
            else:
                followup.on_form_option(self, form, choice)
        else:
            self.on_option(option)

    def _on_form(self, form: ChatForm, text: str, command: Command | None) -> bool:
        """The open form takes the message: a practice form, or an update, comment or news."""
        if form.kind in practices_chat.FORMS:
            return practices_chat.on_form(self, form, text, command)
        return followup.on_form(self, form, text, command)

    def _is_round_code(self, text: str) -> bool:
        if not (4 <= len(text) <= 20 and text.isalnum()):
            return False
        return self.session.scalar(select(Round.id).where(Round.code == text.upper())) is not None

    def _answers_a_text_question(self, command: tuple[Command, str]) -> bool:
        """'Start now' typed at a free-text question is an answer, not a code to join."""
        name, argument = command
        if name not in ANSWER_LIKE or (name is Command.JOIN and self._is_round_code(argument)):
            return False
        step = self._cursor_step()
        return (
            step is not None
            and step.question is not None
            and step.question.kind is Kind.TEXT
            and not (self.event.text or "").startswith("/")
        )

    # --- commands -----------------------------------------------------------------------------

    def on_command(self, command: Command, argument: str) -> None:
        handlers: dict[Command, Callable[[str], None]] = {
            Command.JOIN: self.join,
            Command.HELP: lambda _: self.help(),
            Command.BACK: lambda _: self.back(),
            Command.SKIP: lambda _: self.skip(),
            Command.REVIEW: lambda _: self.review(),
            Command.CHANGE: self.change,
            Command.WITHDRAW: self.withdraw,
            Command.PAUSE: lambda _: self.pause(),
            Command.RESUME: lambda _: self.resume(),
            Command.STOP: lambda _: self.stop(),
            Command.OPTOUT: lambda _: self.optout(),
            Command.LANGUAGE: self.change_language,
            Command.LINK: self.link,
            Command.TIMEZONE: self.set_timezone,
            Command.VERIFY: lambda argument: followup.verify(self, argument),
            Command.FOLLOW: lambda argument: followup.follow(self, argument),
            Command.UNFOLLOW: lambda argument: followup.unfollow(self, argument),
            Command.FOLLOWING: lambda _: followup.following(self),
            Command.AUTOFOLLOW: lambda argument: followup.autofollow(self, argument),
            Command.THEMES: lambda _: followup.themes(self),
            Command.UPDATE: lambda argument: followup.start_update(self, argument),
            Command.CANCEL: lambda _: self.cancel(),
            Command.TEXTONLY: self.set_text_only,
            Command.EASYREAD: self.set_easy_read,
            Command.PRACTICES: lambda argument: practices_chat.list_practices(self, argument),
            Command.PRACTICE: lambda argument: practices_chat.show(self, argument),
            Command.PUBLISH: lambda _: practices_chat.start_publish(self),
        }
        if command not in ANYTIME and self.conversation is None:
            self.say(
                self.t(
                    "You are not taking part in a consultation yet. Send its code to "
                    "join, for example: join ABC123."
                )
            )
            return
        handlers[command](argument)

    def cancel(self) -> None:
        if not followup.cancel(self):
            self.say(self.t("There is nothing to cancel."))

    def help(self) -> None:
        lines = [self.t("What you can send:")]
        for command, explanation in (
            (Command.JOIN, N_("{word} CODE: join a consultation")),
            (Command.BACK, N_("{word}: go back to the previous question")),
            (Command.SKIP, N_("{word}: skip an optional question")),
            (Command.REVIEW, N_("{word}: list your answers")),
            (Command.CHANGE, N_("{word} N: change answer N")),
            (Command.WITHDRAW, N_("{word} N: withdraw answer N")),
            (Command.PAUSE, N_("{word}: pause, and resume later")),
            (Command.RESUME, N_("{word}: carry on after a pause")),
            (Command.STOP, N_("{word}: leave this consultation (you can rejoin)")),
            (Command.OPTOUT, N_("{word}: receive no more messages until you write again")),
            (Command.LANGUAGE, N_("{word} CODE: change language (en, fr, es, ar, ru, zh)")),
            (
                Command.LINK,
                N_("{word}: get a code to continue in another app, then {word} CODE there"),
            ),
            (Command.TIMEZONE, N_("{word} ZONE: set your time zone, for example Africa/Nairobi")),
            (
                Command.FOLLOW,
                N_("{word} THEME: hear about updates on a theme, SDG target or #number"),
            ),
            (Command.UNFOLLOW, N_("{word} THEME: stop following it")),
            (Command.FOLLOWING, N_("{word}: list what you follow")),
            (Command.THEMES, N_("{word}: list the themes you can follow")),
            (Command.AUTOFOLLOW, N_("{word} on|off: follow what you answer on, or not")),
            (Command.VERIFY, N_("{word} CODE: verify your role with an invitation code")),
            (Command.UPDATE, N_("{word}: post an implementation update (verified roles)")),
            (
                Command.PRACTICES,
                N_("{word} [THEME or words]: find good practices other mechanisms shared"),
            ),
            (Command.PRACTICE, N_("{word} N: read good practice N in full")),
            (Command.PUBLISH, N_("{word}: share a good practice (verified roles)")),
            (
                Command.CANCEL,
                N_("{word}: stop writing an update, a practice, a question or a comment"),
            ),
            (Command.TEXTONLY, N_("{word} on|off: numbered lists instead of buttons")),
            (Command.EASYREAD, N_("{word} on|off: short, simple questions, one at a time")),
        ):
            word = command_word(command, self.language)
            if word != command.value:
                word = f"{word} / {command.value}"
            lines.append("• " + self.t(explanation, word=word))
        self.say("\n".join(lines))

    def join(self, code: str) -> None:
        try:
            consultation = find_round(self.session, code)
        except NotFound:
            self.say(
                self.t(
                    "I don't know a consultation with the code {code}. Please check "
                    "the code and send it again.",
                    code=code.upper(),
                )
            )
            return
        if not is_open(consultation, self.now):
            self.say(self._closed_text(consultation))
            return
        if not admits(consultation, self.participant):
            self.say(
                self.t(
                    "Thank you for your interest. This consultation is open to invited "
                    "participants only, so I cannot add you to it."
                )
            )
            return
        existing = self.session.scalar(
            select(Conversation).where(
                Conversation.participant_id == self.participant.id,
                Conversation.round_id == consultation.id,
            )
        )
        if existing is None:
            version = latest_version(self.session, consultation.survey_id or 0)
            if version is None:
                self.say(self.t("This consultation is not ready yet. Please try again later."))
                return
            language = self._language_for(consultation, definition_of(version))
            existing = Conversation(
                participant_id=self.participant.id,
                round_id=consultation.id,
                survey_version_id=version.id,
                status=ConversationStatus.CONSENT,
                language=language,
                channel=self.event.platform,
                selections={},
                pending={},
                history=[],
            )
            self.session.add(existing)
            self.session.flush()
            self.record(
                "round.joined", "round", consultation.code, {"channel": self.event.platform.value}
            )
        existing.updated_at = self.now
        self._switch_to(existing)
        if existing.status in (ConversationStatus.DECLINED, ConversationStatus.CONSENT):
            existing.status = ConversationStatus.CONSENT
            self.ask_consent()
        elif existing.status is ConversationStatus.COMPLETED:
            self.say_already_done()
        else:
            existing.status = ConversationStatus.ACTIVE
            self.say(self.t("Welcome back. Let's carry on where you left off."))
            self.ask(self._cursor_step() or self.next_step(), fresh=True)

    def set_timezone(self, argument: str) -> None:
        # Time zone names are case-sensitive; the folded command argument is not.
        typed = (self.event.text or "").strip().split()
        zone = _zone_named(typed[-1] if len(typed) > 1 else argument)
        if zone is None:
            self.say(
                self.t(
                    "Please give a time zone such as Europe/Paris or Africa/Nairobi; "
                    "reminders then never come at night where you are."
                )
            )
            return
        self.participant.timezone = zone
        self.say(self.t("Your time zone is now {zone}.", zone=zone))

    def link(self, argument: str) -> None:
        if not argument:
            code = create_link_code(self.session, self.participant, self.now)
            self.say(
                self.t(
                    "To continue in another app, send this there within 30 minutes: link {code}",
                    code=code,
                )
            )
            return
        try:
            target = redeem_link_code(
                self.session,
                argument,
                platform=self.event.platform,
                external_id=self.event.sender_id,
                now=self.now,
            )
        except InvalidInput:
            self.say(
                self.t(
                    "That link code is unknown, used or expired. Send link in your "
                    "other app to get a new one."
                )
            )
            return
        self.participant = target
        self.conversation = self._current_conversation()
        self.say(self.t("Linked. You can now answer from this app too."))
        if self.conversation is not None:
            self._switch_to(self.conversation)
            self.resume()

    def edit(self) -> list[OutboundMessage]:
        """An edit of a message that gave an answer changes it, as a new version."""
        if not self.event.message_id:
            return []
        original = self.session.scalar(
            select(Answer).where(
                Answer.participant_id == self.participant.id,
                Answer.source_message_id == self.event.message_id,
                Answer.is_current,
            )
        )
        if original is None or original.conversation_id is None:
            return []
        conversation = self.session.get_one(Conversation, original.conversation_id)
        self._switch_to(conversation)
        step = self._find_step(original.slot)
        if step is None or step.question is None or not self._accepting():
            return self.replies
        result = read_answer(step.question, (self.event.text or "").strip(), self.language)
        if not isinstance(result, Accepted) or self._violates_constraint(step, result):
            self.say(
                self.t(
                    "I could not use your edit as an answer, so your answer stays as "
                    "it was. Send review to see it."
                )
            )
            return self.replies
        cursor = conversation.cursor
        self._store(step, result.value, result.text)
        conversation.cursor = cursor
        shown = self._describe_answer(step, self.answers[step.slot])
        self.say(
            self.t(
                "You edited an answer: it is now {answer}. The earlier version is kept.",
                answer=shown,
            )
        )
        return self.replies

    def _switch_to(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.language = conversation.language
        self._survey = self._answers = self._scope = None
        self._steps = None
        self._profile_ids = None

    def _language_for(self, consultation: Round, survey: Survey) -> str:
        offered = offered_languages(consultation, survey)
        for candidate in (self.participant.language, _supported(self.event.language_hint)):
            if candidate in offered:
                return candidate
        if consultation.default_language in offered:
            return consultation.default_language
        return offered[0]

    def _closed_text(self, consultation: Round) -> str:
        return closed_text(consultation, self.language, self.now) or ""

    def ask_consent(self) -> None:
        conversation = self._live()
        consultation = conversation.round
        who = {
            Disclosure.ANONYMOUS: self.t(
                "Organisers see your answers without your name or organisation."
            ),
            Disclosure.ORGANISATION: self.t(
                "Organisers see your organisation next to your answers, but not your name."
            ),
            Disclosure.NAMED: self.t(
                "Organisers see your name and organisation next to your answers."
            ),
        }[consultation.default_disclosure]
        parts = [
            self.t("Welcome to “{title}”.", title=consultation.title),
            self.t(
                "Before we start: I will keep the answers you give in this consultation, "
                "with the language and channel you use."
            ),
            who,
        ]
        if consultation.allow_disclosure_choice:
            parts.append(
                self.t("For each written answer, you can choose who may see that it came from you.")
            )
        parts.append(
            self.t(
                "Published results show only totals, and any count below {k} is hidden.",
                k=consultation.min_cell_size,
            )
        )
        parts.append(
            self.t(
                "You can review, change or withdraw any answer, pause, or stop at "
                "any time. Do you agree to take part?"
            )
        )
        conversation.prompt_seq += 1
        conversation.cursor = None
        options = [
            Option(f"{conversation.prompt_seq}.1", self.t("I agree")),
            Option(f"{conversation.prompt_seq}.2", self.t("No, thank you")),
        ]
        self.say("\n\n".join(parts), options, Expect.CHOICE)

    def _live(self) -> Conversation:
        assert self.conversation is not None
        return self.conversation

    def back(self) -> None:
        conversation = self._live()
        if not self._accepting():
            return
        if conversation.status is ConversationStatus.CONSENT:
            # Nothing comes before consent; no question is asked until it is given.
            self.ask_consent()
            return
        history = [k for k in conversation.history if k != conversation.cursor]
        steps = {s.key: s for s in self.steps()}
        # Notes are read, not answered: going back lands on the question before them.
        while history and (history[-1] not in steps or _is_note(steps[history[-1]])):
            history.pop()
        if not history:
            self.say(self.t("This is the first question; there is nothing to go back to."))
            self.ask(self._cursor_step(), fresh=False)
            return
        previous = history.pop()
        conversation.history = history
        if conversation.status is ConversationStatus.COMPLETED:
            conversation.status = ConversationStatus.ACTIVE
        self.ask(steps[previous], fresh=True)

    def skip(self) -> None:
        conversation = self._live()
        if not self._accepting():
            return
        step = self._cursor_step()
        if step is not None and step.kind is StepKind.PROFILE_CONSENT:
            # Skipping the offer of profile questions skips them all.
            self.decide_profile(step, accept=False)
            return
        if step is not None and step.kind is StepKind.DISCLOSURE:
            # Skipping who may see a written answer keeps the round's default; the answer stays.
            self.say(self.t("Noted."))
            self.advance()
            return
        if step is None or step.question is None:
            self.say(self.t("There is no question to skip right now."))
            return
        if step.question.is_required:
            self.say(self.t("This question needs an answer, so it cannot be skipped."))
            self.ask(step, fresh=False)
            return
        self._store(step, None, None)
        conversation.pending = {}
        self.advance()

    def review(self) -> None:
        items = self._review_items()
        if not items:
            self.say(self.t("You have not answered any question yet."))
            return
        lines = [self.t("Your answers:")]
        for number, (step, answer) in enumerate(items, start=1):
            shown = self._describe_answer(step, answer)
            lines.append(f"{number}. {self._short_label(step)} → {shown}")
        lines.append(self.t("Send change N to change an answer, or withdraw N to withdraw it."))
        self.say("\n".join(lines))

    def _review_items(self) -> list[tuple[Step, Answer]]:
        return [
            (s, self.answers[s.slot])
            for s in self.steps()
            if s.kind is StepKind.QUESTION and s.slot in self.answers
        ]

    def _item(self, argument: str) -> tuple[Step, Answer] | None:
        items = self._review_items()
        if not argument.isdigit() or not 1 <= int(argument) <= len(items):
            if items:
                self.say(
                    self.t(
                        "Please give the number of an answer from 1 to {n}; send "
                        "review to see them.",
                        n=len(items),
                    )
                )
            else:
                self.say(self.t("You have not answered any question yet."))
            return None
        return items[int(argument) - 1]

    def change(self, argument: str) -> None:
        if not self._accepting():
            return
        item = self._item(argument)
        if item is None:
            return
        conversation = self._live()
        if conversation.status is ConversationStatus.COMPLETED:
            conversation.status = ConversationStatus.ACTIVE
        self.say(self.t("Your earlier answer is kept as a previous version. Your new answer:"))
        self.ask(item[0], fresh=True)

    def withdraw(self, argument: str) -> None:
        # Withdrawing stays possible after a round closes: it is the participant's right.
        if self._live().status is ConversationStatus.CONSENT:
            self.say(self.t("You have not answered any question yet."))
            return
        item = self._item(argument)
        if item is None:
            return
        step, _ = item
        answer_store.withdraw(self.session, self._live(), step.slot, self.now)
        self.record(
            "answer.withdrawn",
            "round",
            self._live().round.code,
            {"question": step.question.id if step.question else step.key},
        )
        self._answers = None
        self._steps = None
        self.say(
            self.t(
                "Answer {n} is withdrawn: it and its earlier versions will not appear "
                "in any result or export.",
                n=argument,
            )
        )
        current = self._cursor_step()
        if self._live().status is ConversationStatus.ACTIVE and current is not None:
            self.ask(current, fresh=False)

    def pause(self) -> None:
        conversation = self._live()
        if conversation.status is ConversationStatus.PAUSED:
            self.say(self.t("You are already paused. Send resume to carry on."))
            return
        conversation.status = ConversationStatus.PAUSED
        self.say(self.t("Paused. Your answers are saved. Send resume when you want to carry on."))

    def resume(self) -> None:
        conversation = self._live()
        if conversation.status is ConversationStatus.PAUSED:
            conversation.status = ConversationStatus.ACTIVE
            self.say(self.t("Welcome back. Let's carry on where you left off."))
        if not self._accepting():
            return
        if conversation.status is ConversationStatus.CONSENT:
            self.ask_consent()
        elif conversation.status is ConversationStatus.COMPLETED:
            self.say_already_done()
        else:
            self.ask(self._cursor_step() or self.next_step(), fresh=False)

    def stop(self) -> None:
        conversation = self._live()
        conversation.status = ConversationStatus.STOPPED
        self.record("round.left", "round", conversation.round.code)
        self.say(
            self.t(
                "You have left the consultation {code}. Your answers so far are kept; "
                "send withdraw N first if you want to remove any. Send {code} to "
                "rejoin.",
                code=conversation.round.code,
            )
        )

    def optout(self) -> None:
        self.participant.opted_out_at = self.now
        self.record("participant.opted_out", "participant", self.participant.pseudonym)
        self.say(
            self.t(
                "You will receive no more messages from Consulta. If you write to me "
                "again, I will answer."
            )
        )

    def _offered_languages(self) -> list[str]:
        if self.conversation is None:
            return list(SUPPORTED_LANGUAGES)
        return list(offered_languages(self.conversation.round, self.survey))

    def choose_language(self, code: str) -> bool:
        """The person's own choice of language; False when the consultation does not offer it."""
        self.participant.language = code
        self.participant.language_chosen = True
        if code not in self._offered_languages():
            return False
        self.language = code
        if self.conversation is not None:
            self.conversation.language = code
        return True

    def change_language(self, argument: str) -> None:
        code = _supported(argument.strip()) or argument.strip().lower()
        offered = self._offered_languages()
        if not argument.strip() or code not in offered:
            self.say(
                self.t(
                    "Languages available: {codes}. Send language and a code, for "
                    "example: language fr.",
                    codes=formatting.names(
                        (f"{c} ({formatting.own_language_name(c)})" for c in offered),
                        self.language,
                    ),
                )
            )
            return
        self.choose_language(code)
        self.say(self.t("Language changed."))
        self.ask_again()

    def ask_again(self) -> None:
        """Ask the current question again, as after a change of language or of mode."""
        if self.conversation is None:
            return
        step = self._cursor_step()
        if self.conversation.status is ConversationStatus.CONSENT:
            self.ask_consent()
        elif self.conversation.status is ConversationStatus.ACTIVE and step is not None:
            self.ask(step, fresh=True)

    def _switch(self, argument: str) -> bool | None:
        """on, off, or None for anything else; a bare command turns the mode on."""
        word = fold(argument)
        if not word or word in SWITCH_ON:
            return True
        if word in SWITCH_OFF:
            return False
        return None

    def set_text_only(self, argument: str) -> None:
        wanted = self._switch(argument)
        if wanted is None:
            self.say(self.t("Send textonly on or textonly off."))
            return
        self.participant.text_only = wanted
        self.say(
            self.t(
                "Text-only is on: choices come as numbered lists. Answer with a number, "
                "or several separated by commas."
            )
            if wanted
            else self.t("Text-only is off: choices come as buttons where the app has them.")
        )
        self.ask_again()

    def set_easy_read(self, argument: str) -> None:
        wanted = self._switch(argument)
        if wanted is None:
            self.say(self.t("Send easyread on or easyread off."))
            return
        self.participant.easy_read = wanted
        self.say(
            self.t("Easy read is on. Short questions. One at a time.")
            if wanted
            else self.t("Easy read is off.")
        )
        self.ask_again()

    # --- answers ------------------------------------------------------------------------------

    def _accepting(self) -> bool:
        conversation = self._live()
        if not is_open(conversation.round, self.now):
            self.say(self._closed_text(conversation.round))
            return False
        if conversation.status is ConversationStatus.PAUSED:
            self.say(self.t("You are paused. Send resume to carry on."))
            return False
        return True

    def on_option(self, option_id: str) -> None:
        conversation = self.conversation
        seq, _, choice = option_id.partition(".")
        if conversation is None or not seq.isdigit():
            self.say(self.t("That button is no longer valid. Send help to see what you can do."))
            return
        if int(seq) != conversation.prompt_seq:
            self.say(
                self.t(
                    "That button belongs to an earlier question, which is already "
                    "answered. To change an answer, send review."
                )
            )
            if conversation.status is ConversationStatus.ACTIVE and self._accepting():
                self.ask(self._cursor_step(), fresh=False)
            return
        if not self._accepting():
            return
        if conversation.status is ConversationStatus.CONSENT:
            self.on_consent(choice)
            return
        step = self._cursor_step()
        options = self._options_of(step) if step else []
        if step is None or not (
            choice == DONE or (choice.isdigit() and 1 <= int(choice) <= len(options))
        ):
            self.say(self.t("That choice no longer exists. Please answer again."))
            self.ask(step, fresh=True)
            return
        if self._expects(step) is Expect.CHOICES:
            self.toggle(step, choice, options)
            return
        self.take(step, [int(choice) - 1])

    def on_consent(self, choice: str) -> None:
        conversation = self._live()
        if choice == "1":
            conversation.status = ConversationStatus.ACTIVE
            self.record("consent.given", "round", conversation.round.code)
            self.say(self.t("Thank you. Let's begin."))
            self.advance()
        elif choice == "2":
            conversation.status = ConversationStatus.DECLINED
            self.say(
                self.t(
                    "Understood: nothing has been recorded. If you change your mind, "
                    "send {code} again.",
                    code=conversation.round.code,
                )
            )
        else:
            self.say(self.t("That choice no longer exists. Please answer again."))
            self.ask_consent()

    def on_text(self, text: str) -> None:
        conversation = self._live()
        if conversation.status is ConversationStatus.COMPLETED:
            self.say_already_done()
            return
        if not self._accepting():
            return
        if conversation.status is ConversationStatus.CONSENT:
            consent = read_choices(
                text,
                [
                    Choice(id="yes", label=self.t("I agree")),
                    Choice(id="no", label=self.t("No, thank you")),
                ],
                self.language,
            )
            words = {"yes", "oui", "si", "sí", "да", "是", "نعم", "agree", "ok"}
            if consent == [0] or text.strip().casefold() in words:
                self.on_consent("1")
            elif consent == [1] or text.strip().casefold() in {"no", "non", "нет", "否", "لا"}:
                self.on_consent("2")
            else:
                self.say(self.t("Please answer 1 to agree or 2 to decline."))
                self.ask_consent()
            return
        step = self._cursor_step()
        if step is None:
            self.advance()
            return
        if not text:
            self.say(self.t("I received an empty message."))
            self.ask(step, fresh=False)
            return
        if step.kind in (StepKind.SELECT, StepKind.DISCLOSURE, StepKind.PROFILE_CONSENT):
            self.take_typed_choice(step, text)
            return
        assert step.question is not None
        result = read_answer(step.question, text, self.language)
        if result is None:
            self.say(self._choice_help(step))
            self.ask(step, fresh=False)
        elif isinstance(result, Refused):
            self.say(self._refusal(step.question, result.reason, text))
            self.ask(step, fresh=False)
        elif self._violates_constraint(step, result):
            self.say(
                self._survey_text(step.question.constraint_message)
                or self.t("That answer is not accepted for this question.")
            )
            self.ask(step, fresh=False)
        else:
            self._store(step, result.value, result.text)
            self.after_answer(step)

    def take_typed_choice(self, step: Step, text: str) -> None:
        options = self._options_of(step)
        if step.kind is StepKind.SELECT and text.strip().casefold() in (
            "all",
            "tous",
            "todos",
            "все",
            "全部",
            "الكل",
        ):
            picked = list(range(len(options)))
        else:
            found = read_choices(
                text,
                [Choice(id=f"o{i}", label=o.label) for i, o in enumerate(options)],
                self.language,
            )
            if found is None and step.kind is StepKind.PROFILE_CONSENT:
                # A plain yes or no, in the participant's language or English ("oui", "нет").
                said = match_choice(text, YES_NO.options(), self.language)
                found = None if said is None else [said]
            picked = found or []
        single = step.kind in (StepKind.DISCLOSURE, StepKind.PROFILE_CONSENT)
        if not picked or (single and len(picked) != 1):
            self.say(self._choice_help(step))
            self.ask(step, fresh=False)
            return
        self.take(step, picked)

    def toggle(self, step: Step, choice: str, options: list[Option]) -> None:
        conversation = self._live()
        picks: list[int] = list(conversation.pending.get("picks", []))
        if choice == DONE:
            if not picks:
                self.say(self.t("Please pick at least one option, then press Done."))
                self.ask(step, fresh=False)
                return
            conversation.pending = {}
            self.take(step, sorted(picks))
            return
        index = int(choice) - 1
        picks = [p for p in picks if p != index] if index in picks else [*picks, index]
        conversation.pending = {"picks": picks}
        chosen = formatting.names((options[i].label for i in sorted(picks)), self.language) or "—"
        # The same buttons again, ticked; the text says the same in words, for screen readers.
        marked = [
            Option(o.id, ("✓ " if i in picks else "") + o.label) for i, o in enumerate(options)
        ]
        done = Option(f"{conversation.prompt_seq}.{DONE}", self.t("Done"), done=True)
        self.say(
            self.t("Selected: {chosen}. Press Done when finished.", chosen=chosen),
            [*marked, done],
            Expect.CHOICES,
        )

    def take(self, step: Step, picked: list[int]) -> None:
        conversation = self._live()
        if step.kind is StepKind.SELECT:
            assert step.loop is not None
            keys = self._select_keys(step)
            selections = dict(conversation.selections)
            selections[step.loop.id] = [keys[i] for i in picked]
            conversation.selections = selections
            self._steps = None
            self._remember(step)
            self.advance()
            return
        if step.kind is StepKind.PROFILE_CONSENT:
            self.decide_profile(step, accept=picked[0] == 0)
            return
        if step.kind is StepKind.DISCLOSURE:
            answer = self.answers.get(step.slot)
            if answer is not None:
                answer.disclosure = [
                    Disclosure.NAMED,
                    Disclosure.ORGANISATION,
                    Disclosure.ANONYMOUS,
                ][picked[0]]
            self.say(self.t("Noted."))
            self.advance()
            return
        assert step.question is not None
        result = choice_value(step.question, picked)
        if self._violates_constraint(step, result):
            self.say(
                self._survey_text(step.question.constraint_message)
                or self.t("That answer is not accepted for this question.")
            )
            self.ask(step, fresh=False)
            return
        self._store(step, result.value, result.text)
        self.after_answer(step)

    def decide_profile(self, step: Step, *, accept: bool) -> None:
        """Answer the profile questions, or skip them all; the choice can be changed by back."""
        conversation = self._live()
        selections = dict(conversation.selections)
        selections[plan.PROFILE_CONSENT] = accept
        conversation.selections = selections
        if not accept:
            self._drop_profile_answers()
        self.record("profile.consent", "round", conversation.round.code, {"given": accept})
        self._steps = None
        self._remember(step)
        self.advance()

    def _drop_profile_answers(self) -> None:
        """Withdraw profile answers given before declining, so they leave every result.

        Their questions also leave the history, so that agreeing again asks them afresh.
        """
        conversation = self._live()
        dropped = [a for a in self.answers.values() if a.question_id in self.profile_ids]
        for answer in dropped:
            if answer.withdrawn_at is None:
                answer_store.withdraw(self.session, conversation, answer.slot, self.now)
                self.record(
                    "answer.withdrawn",
                    "round",
                    conversation.round.code,
                    {"question": answer.question_id},
                )
        slots = {a.slot for a in dropped}
        conversation.history = [k for k in conversation.history if k not in slots]
        self._answers = None

    def _violates_constraint(self, step: Step, result: Accepted) -> bool:
        assert step.question is not None
        check = step.question.constraint_check()
        if check is None:
            return False
        own = {q.id for q in step.loop.questions} if step.loop else set()

        def lookup(name: str) -> Any:
            return self.value_of(name, step.recommendation_id if name in own else None)

        return not check.evaluate(
            lookup, result.value if result.value is not None else result.text or ""
        )

    def _store(self, step: Step, value: Any, text: str | None) -> None:
        conversation = self._live()
        assert step.question is not None
        answer = answer_store.record(
            self.session,
            conversation,
            slot=step.slot,
            question_id=step.question.id,
            recommendation_id=step.recommendation_id,
            value=None if text is not None else value,
            text=text,
            channel=self.event.platform,
            disclosure=conversation.round.default_disclosure,
            now=self.now,
            source_message_id=self.event.message_id,
            kind=step.question.kind.value,
        )
        self.answers[step.slot] = answer
        self._steps = None
        self._remember(step)
        if step.recommendation_id is not None:
            follows.follow_answered(
                self.session, self.participant, step.recommendation_id, self.now
            )

    def _remember(self, step: Step) -> None:
        conversation = self._live()
        history = [k for k in conversation.history if k != step.key]
        conversation.history = [*history, step.key]

    def after_answer(self, step: Step) -> None:
        conversation = self._live()
        assert step.question is not None
        if (
            step.question.kind is Kind.TEXT
            and step.question.private_choice
            and conversation.round.allow_disclosure_choice
            and self.answers[step.slot].text
        ):
            self.ask(
                Step(
                    step.slot + plan.DISCLOSURE_SUFFIX,
                    StepKind.DISCLOSURE,
                    step.question,
                    step.loop,
                    step.recommendation_id,
                ),
                fresh=True,
            )
            return
        self.advance()

    def advance(self) -> None:
        """Move to the next step with no answer yet, showing notes on the way, or finish."""
        conversation = self._live()
        conversation.pending = {}
        step = self.next_step()
        while step is not None and step.question is not None and step.question.kind is Kind.NOTE:
            self.say(self._label(step))
            self._remember(step)
            step = self.next_step()
        if step is None:
            self.finish()
            return
        self.ask(step, fresh=True)

    def next_step(self) -> Step | None:
        conversation = self._live()
        done = set(conversation.history)
        for step in self.steps():
            if step.kind is StepKind.SELECT:
                assert step.loop is not None
                if step.loop.id not in conversation.selections:
                    return step
                continue
            if step.kind is StepKind.PROFILE_CONSENT:
                if plan.profile_consent(conversation.selections) is None:
                    return step
                continue
            if step.key in done or self._answered(step):
                continue
            return step
        return None

    def _answered(self, step: Step) -> bool:
        answer = self.answers.get(step.slot)
        if answer is None:
            return False
        # A profile answer withdrawn by declining is asked again once the participant agrees.
        profile = step.question is not None and step.question.profile
        return not (profile and answer.withdrawn_at is not None)

    def finish(self) -> None:
        conversation = self._live()
        first_time = conversation.status is not ConversationStatus.COMPLETED
        conversation.status = ConversationStatus.COMPLETED
        conversation.cursor = None
        conversation.completed_at = conversation.completed_at or self.now
        kept = [
            a
            for a in self.answers.values()
            if a.withdrawn_at is None and (a.value is not None or a.text)
        ]
        if first_time:
            self.record("round.completed", "round", conversation.round.code, {"answers": len(kept)})
        self.say(
            self.tn(
                "That was the last question. You gave {n} answer to “{title}”. "
                "Thank you for taking part! Send review to see your answers; you can "
                "change or withdraw them while the consultation is open.",
                "That was the last question. You gave {n} answers to “{title}”. "
                "Thank you for taking part! Send review to see your answers; you can "
                "change or withdraw them while the consultation is open.",
                len(kept),
                title=conversation.round.title,
            )
        )

    # --- prompts ------------------------------------------------------------------------------

    def _cursor_step(self) -> Step | None:
        if self.conversation is None or self.conversation.cursor is None:
            return None
        key = self.conversation.cursor
        if key.endswith(plan.DISCLOSURE_SUFFIX):
            base = self._find_step(key.removesuffix(plan.DISCLOSURE_SUFFIX))
            if base is None:
                return None
            return Step(key, StepKind.DISCLOSURE, base.question, base.loop, base.recommendation_id)
        return self._find_step(key)

    def _find_step(self, key: str) -> Step | None:
        return next((s for s in self.steps() if s.key == key), None)

    def ask(self, step: Step | None, *, fresh: bool) -> None:
        conversation = self._live()
        if step is None:
            self.advance()
            return
        if fresh or conversation.cursor != step.key:
            conversation.prompt_seq += 1
            conversation.pending = {}
        conversation.cursor = step.key
        self._shown_in = set()
        options = self._options_of(step)
        expect = self._expects(step)
        parts = []
        if (
            step.recommendation_id is not None
            and step.loop is not None
            and step.question
            and step.question.id == step.loop.questions[0].id
        ):
            header = self._recommendation_header(step.recommendation_id)
            if self.easy_read:
                # Easy read: the recommendation on its own, then the question on its own.
                self.say(header)
            else:
                parts.append(header)
        parts.append(self._label(step))
        hint = None
        if step.question is not None and step.kind is StepKind.QUESTION:
            hint = self._survey_text(step.question.hint) or None
            if not step.question.is_required:
                parts.append(self.t("(Optional: send skip to leave it out.)"))
        if self._shown_in:
            parts.append(
                self.t(
                    "(Not available in your language: shown in {language}.)",
                    language=formatting.names(
                        (
                            formatting.language_name(c, self.language)
                            for c in sorted(self._shown_in)
                        ),
                        self.language,
                    ),
                )
            )
        if expect is Expect.CHOICES:
            options = [
                *options,
                Option(f"{conversation.prompt_seq}.{DONE}", self.t("Done"), done=True),
            ]
        self.say("\n".join(p for p in parts if p), options, expect, hint)

    @property
    def easy_read(self) -> bool:
        """Whether this person, or everyone in their round, reads the easy-read wording."""
        if self.participant.easy_read:
            return True
        return self.conversation is not None and self.conversation.round.easy_read

    def _wording(self, label: LocalizedText, easy: LocalizedText | None) -> str:
        if self.easy_read and easy:
            # Easy-read wording counts only in the person's own language; otherwise the
            # ordinary label in their language reads better than easy words in another.
            simple = easy if isinstance(easy, str) else easy.get(self.language)
            if simple:
                return simple
        return self._survey_text(label)

    def _survey_text(self, text: LocalizedText | None) -> str:
        """Survey wording in the person's language, else in the round's default, noted."""
        if text is None or isinstance(text, str):
            return text or ""
        if self.language in text:
            return text[self.language]
        for fallback in (self._fallback_language, *text):
            if fallback in text:
                self._shown_in.add(fallback)
                return text[fallback]
        return ""

    @property
    def _fallback_language(self) -> str:
        if self.conversation is None:
            return "en"
        return self.conversation.round.default_language

    def _expects(self, step: Step) -> Expect:
        if step.kind is StepKind.SELECT:
            return Expect.CHOICES
        if step.kind in (StepKind.DISCLOSURE, StepKind.PROFILE_CONSENT):
            return Expect.CHOICE
        assert step.question is not None
        return EXPECTS[step.question.kind]

    def _options_of(self, step: Step) -> list[Option]:
        seq = self._live().prompt_seq
        if step.kind is StepKind.SELECT:
            labels = self._select_labels(step)
        elif step.kind is StepKind.DISCLOSURE:
            labels = [
                self.t("Named: my name and organisation"),
                self.t("My organisation only"),
                self.t("Anonymous"),
            ]
        elif step.kind is StepKind.PROFILE_CONSENT:
            labels = [self.t("Yes"), self.t("No, skip them")]
        else:
            assert step.question is not None
            labels = [self._wording(c.label, c.easy_read) for c in step.question.options()]
        return [Option(f"{seq}.{i}", label) for i, label in enumerate(labels, start=1)]

    def _select_keys(self, step: Step) -> list[Any]:
        assert step.loop is not None
        if step.loop.select is LoopSelection.THEMES:
            return sorted(
                {t for r in self.scope.recommendation_ids for t in self.scope.themes_of(r)}
            )
        return list(self.scope.recommendation_ids)

    def _select_labels(self, step: Step) -> list[str]:
        keys = self._select_keys(step)
        assert step.loop is not None
        if step.loop.select is LoopSelection.THEMES:
            return [str(k) for k in keys]
        recs = {
            r.id: r
            for r in self.session.scalars(select(Recommendation).where(Recommendation.id.in_(keys)))
        }
        return [
            self._reference(recs[k]) + " " + _shorten(recs[k].text_in(self.language), 60)
            for k in keys
        ]

    def _label(self, step: Step) -> str:
        if step.kind is StepKind.SELECT:
            assert step.loop is not None
            default = (
                self.t(
                    "Which of these themes do you know about? Send their numbers, "
                    "separated by commas, or all."
                )
                if step.loop.select is LoopSelection.THEMES
                else self.t(
                    "Which of these recommendations do you know about? Send their "
                    "numbers, separated by commas, or all."
                )
            )
            return self._survey_text(step.loop.select_label) or default
        if step.kind is StepKind.PROFILE_CONSENT:
            return self.t(
                "A few optional questions about you (for example gender or region) help show "
                "whether some groups see things differently. Your answers are only ever "
                "counted with others, and groups smaller than {k} are hidden. Answer them?",
                k=self._live().round.min_cell_size,
            )
        if step.kind is StepKind.DISCLOSURE:
            default = self._live().round.default_disclosure
            names = {
                Disclosure.NAMED: self.t("named"),
                Disclosure.ORGANISATION: self.t("organisation only"),
                Disclosure.ANONYMOUS: self.t("anonymous"),
            }
            return self.t(
                "Who may see that this answer came from you? Until you choose, it is {default}.",
                default=names[default],
            )
        assert step.question is not None
        label = self._wording(step.question.label, step.question.easy_read)
        if step.recommendation_id is not None and "{" in label:
            label = _fill(label, self._placeholders(step.recommendation_id))
        return label

    def _short_label(self, step: Step) -> str:
        label = self._label(step)
        if step.recommendation_id is not None:
            rec = self.session.get(Recommendation, step.recommendation_id)
            if rec is not None and self._reference(rec) not in label:
                label = f"[{self._reference(rec)}] {label}"
        return _shorten(label, 80)

    def _placeholders(self, recommendation_id: int) -> dict[str, str]:
        rec = self.session.get(Recommendation, recommendation_id)
        if rec is None:
            return {}
        text, shown = rec.text_shown(self.language, self._fallback_language)
        return {
            "reference": self._reference(rec),
            "paragraph": rec.paragraph or "",
            "text": text,
            "shown_in": shown,
            "body": rec.body,
            "state": rec.state_under_review,
            "themes": ", ".join(t.code for t in rec.tags_of(TagKind.THEME)),
        }

    def _reference(self, rec: Recommendation) -> str:
        return rec.paragraph or f"{rec.body} #{rec.id}"

    def _recommendation_header(self, recommendation_id: int) -> str:
        values = self._placeholders(recommendation_id)
        if not values:
            return ""
        header = self.t(
            "Recommendation {reference} ({body}): {text}",
            reference=values["reference"],
            body=values["body"],
            text=_shorten(values["text"], 600),
        )
        if values["shown_in"] != self.language:
            header += "\n" + self.t(
                "(Not available in your language: shown in {language}.)",
                language=formatting.language_name(values["shown_in"], self.language),
            )
        return header

    def _describe_answer(self, step: Step, answer: Answer) -> str:
        if answer.withdrawn_at is not None:
            return self.t("(withdrawn)")
        if answer.value is None and answer.text is None:
            return self.t("(skipped)")
        if answer.text is not None:
            return "“" + _shorten(answer.text, 80) + "”"
        assert step.question is not None
        options = {c.id: self._wording(c.label, c.easy_read) for c in step.question.options()}
        values = answer.value if isinstance(answer.value, list) else [answer.value]
        if step.question.kind is Kind.RATING:
            return ", ".join(str(v) for v in values)
        return ", ".join(options.get(str(v), str(v)) for v in values)

    def _choice_help(self, step: Step) -> str:
        count = len(self._options_of(step))
        if self._expects(step) is Expect.CHOICES:
            return self.t(
                "Please send the numbers of your choices from 1 to {n}, separated by commas.",
                n=count,
            )
        return self.t(
            "Please answer with a number from 1 to {n}, or the words of a choice.", n=count
        )

    def _refusal(self, question: Question, reason: str, text: str) -> str:
        if reason == "long":
            return self.t(
                "Your answer is {length} characters long; please keep it under {limit}.",
                length=len(text),
                limit=question.text_limit,
            )
        if reason == "words":
            return self.t("Please write your answer in words.")
        if reason == "number":
            return self.t("Please answer with a number.")
        if reason == "whole":
            return self.t("Please answer with a whole number.")
        if reason == "min":
            return self.t(
                "Please answer with a number of at least {min}.", min=_number(question.min)
            )
        if reason == "max":
            return self.t(
                "Please answer with a number of at most {max}.", max=_number(question.max)
            )
        return self.t("Please give a date such as 2026-03-31.")


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else str(value)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(label: str, values: dict[str, str]) -> str:
    try:
        return label.format_map(_Missing(values))
    except (ValueError, IndexError):
        return label


@dataclass(frozen=True)
class Waiting:
    """Where a participant's live conversation stands, for a channel that shows it on request."""

    round_code: str
    status: ConversationStatus
    language: str
    # The languages `language CODE` switches to in this round, in the round's order.
    languages: tuple[str, ...]
    # The question asked now, exactly as a turn asks it; empty when paused or finished.
    prompts: tuple[OutboundMessage, ...]


def current_prompts(
    session: Session, who: InboundEvent, *, now: datetime | None = None
) -> Waiting | None:
    """The question waiting for who's platform identity, asked again; it changes nothing.

    Only who.platform and who.sender_id are read. The prompt comes from the code a turn asks
    with, so its option ids answer it. None when the identity has no live conversation.
    """
    from core.models import PlatformIdentity

    identity = session.scalar(
        select(PlatformIdentity).where(
            PlatformIdentity.platform == who.platform,
            PlatformIdentity.external_id == who.sender_id,
        )
    )
    if identity is None:
        return None
    # Asking moves the prompt number and the cursor in memory; none of it may be written.
    with session.no_autoflush:
        turn = _Turn(session, who, identity.participant, now or utcnow())
        conversation = turn.conversation
        if conversation is None:
            return None
        try:
            if conversation.status is ConversationStatus.CONSENT:
                # Consent is numbered anew each time it is asked; one back keeps the shown ids.
                conversation.prompt_seq -= 1
                turn.ask_consent()
            elif conversation.status is ConversationStatus.ACTIVE:
                step = turn._cursor_step()
                if step is not None:
                    turn.ask(step, fresh=False)
            return Waiting(
                round_code=conversation.round.code,
                status=conversation.status,
                language=turn.language,
                languages=offered_languages(conversation.round, turn.survey),
                prompts=tuple(turn.replies),
            )
        finally:
            session.expire(conversation)
