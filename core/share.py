"""Share kits: the links, join instructions, QR codes and invitation texts of a round.

A kit is built from a round and the settings alone, with no I/O, so the command line and the
API print the same thing. Every channel's join path ends in the same engine command: the
round's code, sent as `/start CODE` on Telegram, `/consult join CODE` on Slack, the bare
code through the webhook, and `join CODE` by the Start button of the web page at /take/CODE.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import segno

from core import formatting
from core.config import Settings
from core.errors import InvalidInput
from core.i18n import N_, translate
from core.models import Disclosure, Round, RoundStatus, utcnow
from core.vocabulary import Platform

# /take/<code> serves the round's page, where people answer in a browser. Its forms are
# signed with CONSULTA_SECRET_KEY: without the key the page refuses everyone, and invitations
# leave the web out so nobody is sent to a dead page.
WEB_CHANNEL_SERVED = True

_TELEGRAM_USERNAME = re.compile(r"[A-Za-z0-9_]{5,32}")
# Addresses that only the server itself can reach; links built on them work for nobody else.
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}

SLACK_INSTRUCTION = N_(
    "In Slack, open a direct message with the Consulta app and type /consult join {code}"
)
WEBHOOK_INSTRUCTION = N_(
    "By text message (SMS or WhatsApp), send {code} to the number the organisers give for "
    "this consultation"
)

# The same sentences the conversation engine says before asking for consent, so a participant
# reads the same promise in the invitation and in the chat.
DISCLOSURE_SENTENCES = {
    Disclosure.ANONYMOUS: N_("Organisers see your answers without your name or organisation."),
    Disclosure.ORGANISATION: N_(
        "Organisers see your organisation next to your answers, but not your name."
    ),
    Disclosure.NAMED: N_("Organisers see your name and organisation next to your answers."),
}
CHOICE_SENTENCE = N_("For each written answer, you can choose who may see that it came from you.")
INVITATION_OPENING = N_("You are invited to take part in the consultation “{title}”.")


@dataclass(frozen=True)
class ShareLink:
    """How to join a round on one channel.

    `url_or_instruction` is a link people open, or, where the channel has no link, what to do.
    `qr_target` is what a QR code for this channel encodes: the link itself for Telegram and
    the web; for Slack, the instruction text (a phone shows it as text, which is enough for a
    poster); None for the webhook, whose phone number or handle belongs to the gateway.
    `ready` says whether this server answers on the channel now; invitations name only ready
    channels. `operator_url` is, for the webhook, where the gateway posts inbound messages.
    """

    channel: Platform
    url_or_instruction: str
    qr_target: str | None
    text_to_send: str | None = None
    ready: bool = True
    operator_url: str | None = None

    def as_data(self) -> dict[str, Any]:
        """The link as plain data, for `--json` and the API."""
        return {
            "channel": self.channel.value,
            "url_or_instruction": self.url_or_instruction,
            "text_to_send": self.text_to_send,
            "qr_target": self.qr_target,
            "ready": self.ready,
            "operator_url": self.operator_url,
        }


@dataclass(frozen=True)
class Invitation:
    """A short invitation to a round, in one of its languages."""

    language: str
    text: str


@dataclass(frozen=True)
class ShareKit:
    """Everything an organiser needs to spread a round's code: links, notes and invitations."""

    code: str
    title: str
    status: RoundStatus
    links: tuple[ShareLink, ...]
    notes: tuple[str, ...]
    invitations: tuple[Invitation, ...]

    def link(self, channel: str) -> ShareLink | None:
        """The link of one channel, by its slug, or None when the kit has none."""
        return next((link for link in self.links if link.channel.value == channel), None)

    def as_data(self) -> dict[str, Any]:
        """The kit as plain data, for `--json` and the API."""
        return {
            "code": self.code,
            "title": self.title,
            "status": self.status.value,
            "links": [link.as_data() for link in self.links],
            "notes": list(self.notes),
            "invitations": {i.language: i.text for i in self.invitations},
        }


def build_share_kit(
    consultation: Round, settings: Settings, now: datetime | None = None, reader: str = "en"
) -> ShareKit:
    """The share kit of a round: its links, notes for the organiser and invitations.

    The notes are in the reader's language (the organiser's); the invitations in each of the
    round's languages.
    """

    def t(message: str, **values: object) -> str:
        text = translate(reader, message)
        return text.format(**values) if values else text

    code = consultation.code
    now = now or utcnow()
    base = settings.public_url.strip().rstrip("/")
    language = consultation.default_language
    links: list[ShareLink] = []
    notes: list[str] = []

    username = (settings.telegram_bot_username or "").strip().lstrip("@")
    if _TELEGRAM_USERNAME.fullmatch(username):
        url = f"https://t.me/{username}?start={code}"
        links.append(ShareLink(Platform.TELEGRAM, url, url, text_to_send=f"/start {code}"))
    elif username:
        notes.append(
            t(
                "No Telegram link: CONSULTA_TELEGRAM_BOT_USERNAME must be the bot's @username "
                "alone (5 to 32 letters, digits or underscores), not a link."
            )
        )
    else:
        notes.append(
            t(
                "No Telegram link: set CONSULTA_TELEGRAM_BOT_USERNAME to the bot's @username "
                "to get a t.me link and its QR code."
            )
        )

    slack_ready = settings.secret("slack_bot_token") is not None
    slack_text = translate(language, SLACK_INSTRUCTION).format(code=code)
    links.append(
        ShareLink(
            Platform.SLACK,
            slack_text,
            slack_text,
            text_to_send=f"/consult join {code}",
            ready=slack_ready,
        )
    )
    if not slack_ready:
        notes.append(
            t(
                "Slack: CONSULTA_SLACK_BOT_TOKEN is not set, so this server does not answer on "
                "Slack; invitations leave Slack out."
            )
        )

    webhook_ready = settings.secret("webhook_secret") is not None
    inbound = f"{base}/webhook/inbound"
    links.append(
        ShareLink(
            Platform.WEBHOOK,
            translate(language, WEBHOOK_INSTRUCTION).format(code=code),
            None,
            text_to_send=code,
            ready=webhook_ready,
            operator_url=inbound,
        )
    )
    notes.append(
        t(
            "Webhook: the SMS or WhatsApp number belongs to your gateway; its operator "
            "posts inbound messages to {inbound}.",
            inbound=inbound,
        )
    )
    if not webhook_ready:
        notes.append(
            t(
                "Webhook: CONSULTA_WEBHOOK_SECRET is not set, so /webhook/inbound refuses "
                "messages; invitations leave text messages out."
            )
        )

    web_url = f"{base}/take/{code}"
    web_ready = WEB_CHANNEL_SERVED and settings.secret("secret_key") is not None
    links.append(ShareLink(Platform.WEB, web_url, web_url, ready=web_ready))
    if not web_ready:
        notes.append(
            t(
                "Web: CONSULTA_SECRET_KEY is not set, so {url} refuses visitors; "
                "invitations leave the web out.",
                url=web_url,
            )
        )

    if (urlsplit(base).hostname or "") in _LOCAL_HOSTS:
        notes.append(
            t(
                "CONSULTA_PUBLIC_URL is {base}, which only this machine can reach; set it to "
                "the server's public address before sharing the web and webhook links.",
                base=base,
            )
        )
    notes.extend(_round_notes(consultation, reader))
    # Without a catalog, translate() falls back to English; saying so keeps an organiser from
    # sending an English text as if it were French.
    untranslated = [
        lang
        for lang in consultation.languages
        if lang.split("-")[0] != "en" and translate(lang, INVITATION_OPENING) == INVITATION_OPENING
    ]
    if untranslated:
        notes.append(
            t(
                "Invitations in {languages} are in English for now: there is no "
                "translation of their text yet.",
                languages=formatting.names(untranslated, reader),
            )
        )

    kit_links = tuple(links)
    invitations = tuple(
        Invitation(lang, _invitation(consultation, kit_links, lang, now))
        for lang in consultation.languages
    )
    return ShareKit(
        code=code,
        title=consultation.title,
        status=consultation.status,
        links=kit_links,
        notes=tuple(notes),
        invitations=invitations,
    )


def _round_notes(consultation: Round, reader: str) -> list[str]:
    notes = []
    code = consultation.code
    if consultation.status in (RoundStatus.DRAFT, RoundStatus.SCHEDULED):
        notes.append(
            translate(
                reader,
                "Round {code} is not open: people who send the code now are told "
                "it is not open yet.",
            ).format(code=code)
        )
    elif consultation.status is RoundStatus.CLOSED:
        notes.append(
            translate(
                reader,
                "Round {code} is closed: people who send the code are told it has closed.",
            ).format(code=code)
        )
    if (consultation.audience or {}).get("mode") == "invited":
        notes.append(
            translate(
                reader,
                "Round {code} is invited-only: the code admits only the roles, "
                "organisations or languages the round names.",
            ).format(code=code)
        )
    return notes


def _invitation(
    consultation: Round, links: tuple[ShareLink, ...], language: str, now: datetime
) -> str:
    def t(message: str, **values: Any) -> str:
        text = translate(language, message)
        return text.format(**values) if values else text

    code = consultation.code
    lines = [
        t(INVITATION_OPENING, title=consultation.title),
        t("Join code: {code}", code=code),
        "",
    ]
    ways = []
    for link in links:
        if not link.ready:
            continue
        if link.channel is Platform.TELEGRAM:
            ways.append(t("On Telegram, open {url}", url=link.url_or_instruction))
        elif link.channel is Platform.SLACK:
            ways.append(t(SLACK_INSTRUCTION, code=code))
        elif link.channel is Platform.WEBHOOK:
            ways.append(t(WEBHOOK_INSTRUCTION, code=code))
        elif link.channel is Platform.WEB:
            ways.append(t("On the web, open {url}", url=link.url_or_instruction))
    if ways:
        lines.append(t("How to join:"))
        lines.extend(f"- {way}" for way in ways)
    else:
        lines.append(t("The organisers will tell you where to send this code."))
    lines.append("")
    if consultation.opens_at is not None and consultation.opens_at > now:
        lines.append(
            t(
                "The consultation opens on {moment}.",
                moment=formatting.moment(consultation.opens_at, language, consultation.timezone),
            )
        )
    if consultation.closes_at is not None and consultation.closes_at <= now:
        lines.append(
            t(
                "The consultation closed on {moment}.",
                moment=formatting.moment(consultation.closes_at, language, consultation.timezone),
            )
        )
    elif consultation.closes_at is not None:
        lines.append(
            t(
                "The consultation closes on {moment}.",
                moment=formatting.moment(consultation.closes_at, language, consultation.timezone),
            )
        )
    else:
        lines.append(t("The consultation has no set closing date."))
    lines.append(t(DISCLOSURE_SENTENCES[consultation.default_disclosure]))
    if consultation.allow_disclosure_choice:
        lines.append(t(CHOICE_SENTENCE))
    lines.append(
        t(
            "Taking part is voluntary. You can review, change or withdraw any answer, pause, "
            "or stop at any time."
        )
    )
    return "\n".join(lines)


def _qr(data: str) -> segno.QRCode:
    if not data:
        raise InvalidInput(N_("a QR code needs some text to encode"))
    try:
        # Medium error correction survives a folded or slightly smudged poster.
        return segno.make(data, error="m", micro=False)
    except segno.DataOverflowError:
        raise InvalidInput(
            N_("{count} characters are too many for one QR code; shorten the text"),
            count=len(data),
        ) from None


def qr_png(data: str, scale: int = 8) -> bytes:
    """A QR code of the text as PNG bytes; each module is `scale` pixels wide."""
    if scale < 1:
        raise InvalidInput(N_("the QR code's scale must be at least 1"))
    buffer = io.BytesIO()
    _qr(data).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg(data: str) -> str:
    """A QR code of the text as a standalone SVG document."""
    buffer = io.BytesIO()
    _qr(data).save(buffer, kind="svg", scale=4, border=4, xmldecl=True)
    return buffer.getvalue().decode("utf-8")
