"""Good practices in chat: finding and reading them, publishing one, and asking its author.

The engine hands the `practices`, `practice` and `publish` commands, the practice buttons and
the practice forms here. The forms are ChatForms like the update form (core.conversation.
followup), so `cancel`, `skip`, idle expiry and typed numbers work the same way.

A question reaches the author without the asker's name or pseudonym: the author only ever
sees the question's number, which is all the answer needs to find its way back.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core import feedback, outbox, practices
from core.conversation import followup
from core.conversation.followup import FORM_OPTION, Turn, begin_form, raw_argument
from core.conversation.words import Command
from core.errors import ConsultaError, InvalidInput, NotFound, Phrase
from core.formatting import language_name
from core.i18n import N_, translate
from core.messages import Expect, Option, OutboundMessage
from core.models import (
    ChatForm,
    FollowKind,
    Participant,
    PracticeQuestion,
    PracticeVersion,
    TagKind,
)
from core.people import preferred_identity

PRACTICE_FORM = "practice"
QUESTION_FORM = "question"
ANSWER_FORM = "answer"
FORMS = frozenset({PRACTICE_FORM, QUESTION_FORM, ANSWER_FORM})
# Buttons: pr.<practice>.read|ask|follow under a practice, pq.<question>.answer for its author.
PRACTICE_OPTION = "pr"
QUESTION_OPTION = "pq"
READ, ASK, FOLLOW, ANSWER = "read", "ask", "follow", "answer"
# The fields of the publish form, in the order they are asked.
FIELDS = (
    "title",
    "summary",
    "done",
    "results",
    "lessons",
    "tags",
    "recommendations",
    "mechanism",
    "contact",
)
OPTIONAL = frozenset({"tags", "recommendations", "mechanism", "contact"})
MOST_LISTED = 10
MOST_THEMES_SUGGESTED = 5
SUMMARY_LINE = 120
_REFERENCES = re.compile(r"[\s,;，；،؛]+")


def practice_option(practice_id: int, action: str) -> str:
    """The id of a button about a practice, e.g. pr.7.read."""
    return f"{PRACTICE_OPTION}.{practice_id}.{action}"


def question_option(question_id: int) -> str:
    """The id of the button its author presses to answer a question, e.g. pq.3.answer."""
    return f"{QUESTION_OPTION}.{question_id}.{ANSWER}"


def parse_option(option: str) -> tuple[str, int, str] | None:
    """(prefix, number, action) of a practice or question button; None for any other."""
    parts = option.split(".")
    if (
        len(parts) != 3
        or parts[0] not in (PRACTICE_OPTION, QUESTION_OPTION)
        or not parts[1].isdigit()
        or len(parts[1]) > 12
    ):
        return None
    return parts[0], int(parts[1]), parts[2]


def on_option(turn: Turn, option: str) -> None:
    """A practice or question button, pressed or picked by its typed number."""
    parsed = parse_option(option)
    if parsed is None:
        _stale_button(turn)
        return
    prefix, number, action = parsed
    if prefix == QUESTION_OPTION and action == ANSWER:
        start_answer(turn, number)
    elif prefix == PRACTICE_OPTION and action == READ:
        show(turn, str(number))
    elif prefix == PRACTICE_OPTION and action == ASK:
        start_question(turn, number)
    elif prefix == PRACTICE_OPTION and action == FOLLOW:
        follow_theme(turn, number)
    else:
        _stale_button(turn)


def _stale_button(turn: Turn) -> None:
    turn.say(turn.t("That button is no longer valid. Send help to see what you can do."))


def _sentence(text: str, turn: Turn) -> str:
    return text[:1].upper() + text[1:] + turn.t(".")


# --- finding and reading ----------------------------------------------------------------------


def _one_line(text: str, limit: int = SUMMARY_LINE) -> str:
    return feedback.shorten(" ".join(text.split()), limit)


def list_practices(turn: Turn, argument: str) -> None:
    """`practices [THEME | words]`: the newest, those of a theme, or those the words find."""
    typed = raw_argument(turn.event, argument).strip() if argument else ""
    theme = practices.known_theme(turn.session, typed) if typed else None
    wanted = practices.Search(theme=theme) if theme else practices.Search(text=typed)
    # Only letters and digits are searched: punctuation alone finds nothing, not everything.
    if typed and not theme and not practices.fold_for_search(typed).split():
        found: list[PracticeVersion] = []
        total = 0
    else:
        found = practices.search(turn.session, wanted, limit=MOST_LISTED)
        total = practices.count(turn.session, wanted)
    if not found:
        _nothing_found(turn, typed)
        return
    if theme:
        heading = turn.t("Good practices on {theme}:", theme=theme)
    elif typed:
        heading = turn.t("Good practices matching “{words}”:", words=typed)
    else:
        heading = turn.t("The newest good practices:")
    lines = [heading]
    for number, version in enumerate(found, start=1):
        shown, _ = practices.texts(version, turn.language)
        lines.append(
            f"{number}. #{version.practice_id} {_one_line(shown['title'], 200)}: "
            + _one_line(shown["summary"])
        )
    if total > len(found):
        lines.append(turn.t("and {count} more", count=total - len(found)))
    lines.append(
        turn.t(
            "Press Read to read one, or send practice and its number, for example "
            "practice {number}.",
            number=found[0].practice_id,
        )
    )
    options = tuple(
        Option(practice_option(version.practice_id, READ), turn.t("Read {number}", number=n))
        for n, version in enumerate(found, start=1)
    )
    turn.say("\n".join(lines), options, Expect.CHOICE)
    followup.offer(turn.session, turn.participant, options, turn.now)


def _nothing_found(turn: Turn, typed: str) -> None:
    known = [code for code, _ in practices.themes(turn.session)[:MOST_THEMES_SUGGESTED]]
    if not typed and not known:
        turn.say(turn.t("No good practice is published yet."))
        return
    lines = [
        turn.t("No good practice matches “{words}”.", words=typed)
        if typed
        else turn.t("No good practice is published yet.")
    ]
    lines.append(turn.t("Send practices on its own to see the newest ones."))
    if known:
        lines.append(turn.t("Or try a theme: {themes}.", themes=", ".join(known)))
    turn.say("\n".join(lines))


def _published(turn: Turn, ref: str) -> PracticeVersion | None:
    """The version of a practice the public sees; says why when there is none."""
    try:
        practice = practices.get(turn.session, ref)
        version = practices.current(practice)
        if version is None:
            # A draft is nobody's business but its author's and the reviewers'.
            raise NotFound(N_("no good practice with number {number!r}"), number=str(practice.id))
    except NotFound as error:
        turn.say(
            turn.t("I could not find that: {reason}.", reason=error.in_language(turn.language))
        )
        return None
    return version


def show(turn: Turn, argument: str) -> None:
    """`practice N`: one published practice in full, in the reader's language if it exists."""
    if not argument:
        turn.say(
            turn.t(
                "Send practice and a practice's number, for example practice 3. Send "
                "practices to list them."
            )
        )
        return
    version = _published(turn, argument.lstrip("#"))
    if version is None:
        return
    data = practices.describe(turn.session, version, turn.language)
    # The long texts are paragraphs; what describes the practice follows as short lines.
    paragraphs = [
        turn.t("Good practice #{number}: {title}", number=data["id"], title=data["title"]),
        data["summary"],
    ]
    for label, name in (
        (N_("What was done: {text}"), "done"),
        (N_("Results: {text}"), "results"),
        (N_("Lessons: {text}"), "lessons"),
    ):
        if data[name]:
            paragraphs.append(turn.t(label, text=data[name]))
    details = []
    if data["themes"]:
        details.append(turn.t("Themes: {themes}", themes=", ".join(data["themes"])))
    if data["sdg_targets"]:
        details.append(turn.t("SDG targets: {targets}", targets=", ".join(data["sdg_targets"])))
    references = _references(turn.session, version)
    if references:
        details.append(turn.t("Recommendations: {references}", references=", ".join(references)))
    for label, value in (
        (N_("Mechanism: {text}"), data["mechanism"]),
        (N_("Country: {text}"), data["country"]),
        (N_("Organisation: {text}"), data["organisation"]),
        (N_("Contact: {text}"), data["contact"]),
    ):
        if value:
            details.append(turn.t(label, text=value))
    licence = data["licence"] + (f" {data['licence_url']}" if data["licence_url"] else "")
    details.append(turn.t("Licence: {licence}", licence=licence))
    paragraphs.append("\n".join(details))
    if data["language"] != turn.language:
        paragraphs.append(
            turn.t(
                "(Shown in {language}, the language it was written in: it has no "
                "translation into yours yet.)",
                language=language_name(data["language"], turn.language),
            )
        )
    options: list[Option] = []
    author = version.practice.author
    if author is not None and author.opted_out_at is None and author.id != turn.participant.id:
        options.append(
            Option(practice_option(data["id"], ASK), turn.t("Ask the author a question"))
        )
    if data["themes"]:
        options.append(
            Option(
                practice_option(data["id"], FOLLOW),
                turn.t("Follow {theme}", theme=_one_line(data["themes"][0], 40)),
            )
        )
    turn.say("\n\n".join(paragraphs), options, Expect.CHOICE if options else Expect.NOTHING)
    followup.offer(turn.session, turn.participant, options, turn.now)


def _references(session: Session, version: PracticeVersion) -> list[str]:
    """The recommendations a practice answers: by number here, as cited when from elsewhere."""
    linked = practices.linked_recommendations(session, version)
    known = {r.key for r in linked} | {r.source_id for r in linked if r.source_id}
    shown = [feedback.reference(r) for r in linked]
    for ref in version.recommendations or []:
        if ref.get("key") in known or (ref.get("source_id") and ref.get("source_id") in known):
            continue
        cited = " ".join(str(ref.get(k) or "") for k in ("document_symbol", "paragraph")).strip()
        shown.append(cited or str(ref.get("key") or ""))
    return [s for s in shown if s]


def follow_theme(turn: Turn, practice_id: int) -> None:
    """The practice's first theme, followed the way `follow THEME` follows it."""
    version = _published(turn, str(practice_id))
    if version is None:
        return
    themes = version.tags_of(TagKind.THEME)
    if not themes:
        turn.say(turn.t("This practice has no theme to follow."))
        return
    followup.followed(turn, FollowKind.THEME, themes[0].code, themes[0].code)


# --- publishing -------------------------------------------------------------------------------


def start_publish(turn: Turn) -> None:
    """`publish`: open the practice form, for verified organisers, NHRI staff and focal points."""
    try:
        practices.author_check(turn.participant)
    except ConsultaError as error:
        turn.say(_sentence(error.in_language(turn.language), turn))
        return
    form = begin_form(turn, PRACTICE_FORM, FIELDS[0], {})
    turn.say(
        turn.t(
            "Let's write a good practice for other mechanisms to learn from. Send cancel "
            "at any time to stop, or skip to leave out an optional field. An organiser "
            "reviews it before it is published."
        )
    )
    _ask(turn, form)


def on_form(turn: Turn, form: ChatForm, text: str, command: Command | None) -> bool:
    """Text, `skip` or `cancel` while a practice form is open; True when it was taken."""
    if command is Command.CANCEL:
        followup.cancel(turn)
        return True
    if form.kind == QUESTION_FORM:
        _question_text(turn, form, text, command)
    elif form.kind == ANSWER_FORM:
        _answer_text(turn, form, text, command)
    elif command is Command.SKIP:
        if form.field not in OPTIONAL:
            turn.say(turn.t("This field is needed."))
        else:
            _next(turn, form)
            return True
        _ask(turn, form)
    else:
        _take(turn, form, text.strip())
    return True


def on_form_option(turn: Turn, form: ChatForm | None, choice: str) -> None:
    """Post or Cancel under the practice form's summary."""
    if form is None or form.kind != PRACTICE_FORM:
        _stale_button(turn)
    elif choice == "cancel":
        followup.cancel(turn)
    elif choice == "post" and form.field == "confirm":
        _post(turn, form)
    else:
        _ask(turn, form)


def _ask(turn: Turn, form: ChatForm) -> None:
    prompts = {
        "title": N_("What is the practice's title? One line."),
        "summary": N_("Summarise it in two or three sentences."),
        "done": N_("What was done? Describe it in one message."),
        "results": N_("What came of it? Describe the results in one message."),
        "lessons": N_("What lessons can others draw from it?"),
        "tags": N_(
            "Its themes and SDG targets, on one line separated by commas, for example: "
            "birth registration, 16.9. Or send skip."
        ),
        "recommendations": N_(
            "Which recommendations does it answer? Send their numbers, for example #12, "
            "#14. Or send skip."
        ),
        "mechanism": N_(
            "Which mechanism did this, and how is it set up? For example: "
            "inter-ministerial committee with a civil society seat. Or send skip."
        ),
        "contact": N_(
            "A contact others may write to about it (an email or a web address); it is "
            "shown with the practice. Or send skip."
        ),
    }
    if form.field in prompts:
        turn.say(turn.t(prompts[form.field]), expect=Expect.TEXT)
    else:
        _confirm(turn, form)


def _next(turn: Turn, form: ChatForm) -> None:
    position = FIELDS.index(form.field) if form.field in FIELDS else len(FIELDS)
    form.field = FIELDS[position + 1] if position + 1 < len(FIELDS) else "confirm"
    form.updated_at = turn.now
    _ask(turn, form)


def _take(turn: Turn, form: ChatForm, text: str) -> None:
    """Read the field being asked; say what was wrong and ask the same field again."""
    try:
        if form.field == "confirm":
            if followup.read_confirmation(text):
                _post(turn, form)
            else:
                followup.cancel(turn)
            return
        given = _read(turn.session, form.field, text)
    except ConsultaError as error:
        turn.say(turn.t("I could not use that: {reason}.", reason=error.in_language(turn.language)))
        _ask(turn, form)
        return
    form.values = {**form.values, **given}
    _next(turn, form)


def _read(session: Session, field: str, text: str) -> dict[str, Any]:
    """A field's value as typed, checked by the same rules as a practice sent any other way."""
    if not text:
        raise InvalidInput(
            N_("{where}: this field is needed"),
            where=Phrase(practices.FIELD_NAMES.get(field) or practices.FIELD_NAMES["themes"]),
        )
    if field == "tags":
        themes, targets = practices.split_tags(text)
        given: dict[str, Any] = {"themes": themes, "sdg_targets": targets}
    elif field == "recommendations":
        given = {"recommendations": [ref for ref in _REFERENCES.split(text) if ref]}
    else:
        given = {field: text}
    # The title and summary stand in for the ones asked separately.
    practices.check(session, practices.PracticeDraft(**{"title": "-", "summary": "-", **given}))
    return given


def _confirm(turn: Turn, form: ChatForm) -> None:
    values = form.values
    lines = [
        turn.t("Please check your good practice:"),
        turn.t("Title: {text}", text=values.get("title", "")),
        turn.t("Summary: {text}", text=feedback.shorten(values.get("summary", ""), 500)),
        turn.t("What was done: {text}", text=feedback.shorten(values.get("done", ""), 300)),
        turn.t("Results: {text}", text=feedback.shorten(values.get("results", ""), 300)),
        turn.t("Lessons: {text}", text=feedback.shorten(values.get("lessons", ""), 300)),
    ]
    if values.get("themes"):
        lines.append(turn.t("Themes: {themes}", themes=", ".join(values["themes"])))
    if values.get("sdg_targets"):
        lines.append(turn.t("SDG targets: {targets}", targets=", ".join(values["sdg_targets"])))
    if values.get("recommendations"):
        lines.append(
            turn.t("Recommendations: {references}", references=" ".join(values["recommendations"]))
        )
    for label, name in ((N_("Mechanism: {text}"), "mechanism"), (N_("Contact: {text}"), "contact")):
        if values.get(name):
            lines.append(turn.t(label, text=values[name]))
    lines.append(
        turn.t(
            "Once an organiser approves it, it is published under the {licence} licence.",
            licence=practices.DEFAULT_LICENCE,
        )
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
    draft = practices.PracticeDraft(
        title=values.get("title", ""),
        summary=values.get("summary", ""),
        done=values.get("done", ""),
        results=values.get("results", ""),
        lessons=values.get("lessons", ""),
        themes=values.get("themes") or (),
        sdg_targets=values.get("sdg_targets") or (),
        recommendations=values.get("recommendations") or (),
        mechanism=values.get("mechanism", ""),
        contact=values.get("contact") or None,
        language=turn.language,
        channel=turn.event.platform.value,
    )
    try:
        # Nothing half-written: a refusal undoes whatever the submission had begun.
        with turn.session.begin_nested():
            version = practices.submit(turn.session, turn.participant, draft, now=turn.now)
    except ConsultaError as error:
        turn.session.delete(form)
        turn.say(
            turn.t(
                "Your practice could not be sent: {reason}.",
                reason=error.in_language(turn.language),
            )
        )
        return
    turn.session.delete(form)
    turn.say(
        turn.t(
            "Sent for review as practice #{number}. An organiser reads it before it is "
            "published; I will tell you when it is.",
            number=version.practice_id,
        )
    )


# --- questions to authors ---------------------------------------------------------------------


def start_question(turn: Turn, practice_id: int) -> None:
    """Ask the author a question: one message, relayed without the asker's name."""
    version = _published(turn, str(practice_id))
    if version is None:
        return
    author = version.practice.author
    if author is None or author.opted_out_at is not None:
        turn.say(turn.t("The author of this practice cannot be reached through Consulta."))
        return
    if author.id == turn.participant.id:
        turn.say(turn.t("This is your own practice."))
        return
    shown, _ = practices.texts(version, turn.language)
    begin_form(turn, QUESTION_FORM, "text", {"practice_id": practice_id})
    turn.say(
        turn.t(
            "Write your question for the author of “{title}” in one message. The author "
            "will not see your name. Send cancel to stop.",
            title=_one_line(shown["title"], 200),
        ),
        expect=Expect.TEXT,
    )


def _question_text(turn: Turn, form: ChatForm, text: str, command: Command | None) -> None:
    if command is Command.SKIP or not text.strip():
        turn.say(turn.t("Please write your question, or send cancel."), expect=Expect.TEXT)
        return
    try:
        asked = practices.ask(
            turn.session,
            turn.participant,
            int(form.values["practice_id"]),
            text,
            language=turn.language,
            now=turn.now,
        )
    except InvalidInput as error:
        turn.say(
            turn.t("I could not use that: {reason}.", reason=error.in_language(turn.language)),
            expect=Expect.TEXT,
        )
        return
    except ConsultaError as error:
        turn.session.delete(form)
        turn.say(_sentence(error.in_language(turn.language), turn))
        return
    turn.session.delete(form)
    if relay_question(turn.session, asked, turn.now):
        turn.say(
            turn.t(
                "Your question is on its way to the author, without your name. I will "
                "pass on the answer when it comes."
            )
        )
    else:
        turn.say(
            turn.t(
                "Your question is kept for the author, without your name, but they cannot "
                "be reached by chat just now. I will pass on the answer when it comes."
            )
        )


def relay_question(session: Session, asked: PracticeQuestion, now: datetime) -> bool:
    """Send a question to the practice's author, in their language; False if unreachable."""
    practice = asked.practice
    author = practice.author
    if author is None or author.opted_out_at is not None:
        return False
    identity = preferred_identity(session, author)
    if identity is None:
        return False
    language = author.language or "en"
    version = practices.current(practice)
    title = practices.texts(version, language)[0]["title"] if version else ""
    # Who asked is never said: not their name, not their pseudonym.
    text = "\n\n".join(
        [
            translate(language, "A question about your good practice #{number} “{title}”:").format(
                number=practice.id, title=_one_line(title, 200)
            ),
            asked.question,
            translate(
                language,
                "Who asked is not shown to you. Press Answer to reply; your answer goes "
                "back to them through Consulta.",
            ),
        ]
    )
    message = OutboundMessage(
        text,
        (Option(question_option(asked.id), translate(language, "Answer")),),
        Expect.CHOICE,
        language=language,
    )
    if outbox.enqueue(session, author, identity.platform, message, bulk=False, now=now) is None:
        return False
    followup.offer(session, author, message.options, now)
    return True


def start_answer(turn: Turn, question_id: int) -> None:
    """The author pressed Answer under a relayed question."""
    asked = turn.session.get(PracticeQuestion, question_id)
    if asked is None:
        turn.say(turn.t("There is no question number {number}.", number=question_id))
        return
    if asked.practice.author_id != turn.participant.id:
        turn.say(turn.t("Only the practice's author answers questions about it."))
        return
    if asked.answered_at is not None:
        turn.say(turn.t("You answered this question already."))
        return
    begin_form(turn, ANSWER_FORM, "text", {"question_id": question_id})
    turn.say(
        turn.t(
            "The question was: “{question}”\nWrite your answer in one message. It goes to "
            "the person who asked, with the title of your practice. Send cancel to stop.",
            question=feedback.shorten(asked.question, 500),
        ),
        expect=Expect.TEXT,
    )


def _answer_text(turn: Turn, form: ChatForm, text: str, command: Command | None) -> None:
    if command is Command.SKIP or not text.strip():
        turn.say(turn.t("Please write your answer, or send cancel."), expect=Expect.TEXT)
        return
    try:
        asked = practices.answer(
            turn.session, turn.participant, int(form.values["question_id"]), text, now=turn.now
        )
    except ConsultaError as error:
        waiting = turn.session.get(PracticeQuestion, int(form.values["question_id"]))
        if isinstance(error, InvalidInput) and waiting and waiting.answered_at is None:
            # Too long, say: the question still waits, so the same form asks again.
            turn.say(
                turn.t("I could not use that: {reason}.", reason=error.in_language(turn.language)),
                expect=Expect.TEXT,
            )
            return
        turn.session.delete(form)
        turn.say(_sentence(error.in_language(turn.language), turn))
        return
    turn.session.delete(form)
    if relay_answer(turn.session, asked, turn.now):
        turn.say(turn.t("Thank you. Your answer is on its way to the person who asked."))
    else:
        turn.say(
            turn.t(
                "Thank you. Your answer is kept, but the person who asked cannot be "
                "reached just now."
            )
        )


def relay_answer(session: Session, asked: PracticeQuestion, now: datetime) -> bool:
    """Send the author's answer to the asker, in the asker's language; False if unreachable."""
    asker: Participant = asked.asker
    if asker.opted_out_at is not None:
        return False
    identity = preferred_identity(session, asker)
    if identity is None:
        return False
    language = asker.language or asked.language or "en"
    practice = asked.practice
    version = practices.current(practice)
    title = practices.texts(version, language)[0]["title"] if version else ""
    text = "\n\n".join(
        [
            translate(
                language, "The author of the good practice #{number} “{title}” answered you."
            ).format(number=practice.id, title=_one_line(title, 200)),
            translate(language, "Your question: {question}").format(
                question=feedback.shorten(asked.question, 500)
            ),
            asked.answer or "",
        ]
    )
    options = (
        (Option(practice_option(practice.id, READ), translate(language, "Read the practice")),)
        if version is not None
        else ()
    )
    message = OutboundMessage(
        text, options, Expect.CHOICE if options else Expect.NOTHING, language=language
    )
    if outbox.enqueue(session, asker, identity.platform, message, bulk=False, now=now) is None:
        return False
    followup.offer(session, asker, message.options, now)
    return True


# --- news -------------------------------------------------------------------------------------


def notice(version: PracticeVersion, language: str) -> OutboundMessage:
    """A newly published practice as a follower receives it, with a button to read it."""
    shown, _ = practices.texts(version, language)
    lines = [
        translate(language, "A good practice on what you follow: {title}").format(
            title=_one_line(shown["title"], 200)
        )
    ]
    if version.practice.publisher:
        lines.append(
            translate(language, "From {organisation}").format(
                organisation=version.practice.publisher
            )
        )
    lines.append(feedback.shorten(shown["summary"], 700))
    options = (Option(practice_option(version.practice_id, READ), translate(language, "Read")),)
    return OutboundMessage("\n\n".join(lines), options, Expect.CHOICE, language=language)


def summary(version: PracticeVersion, language: str) -> str:
    """One line about a published practice, for a digest."""
    shown, _ = practices.texts(version, language)
    return translate(language, "Good practice: {title}").format(title=_one_line(shown["title"]))
