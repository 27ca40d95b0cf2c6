"""Share kits: links per channel, honest invitations in the round's languages, QR images."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ElementTree
import zlib
from datetime import UTC, datetime

import pytest
import segno

from core import share
from core.config import Settings
from core.errors import InvalidInput
from core.i18n import translate
from core.models import Disclosure, Round, RoundStatus
from core.vocabulary import Platform
from tests.fakes.catalogs import missing_in, recording_missing_messages

NOW = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _round(**changes) -> Round:
    values = {
        "code": "VLD2027",
        "title": "Valdoria mid-term check",
        "status": RoundStatus.OPEN,
        "opens_at": datetime(2027, 4, 1, tzinfo=UTC),
        # 21:59 UTC is 23:59 in Paris in summer.
        "closes_at": datetime(2027, 6, 30, 21, 59, tzinfo=UTC),
        "timezone": "Europe/Paris",
        "languages": ["en", "fr", "ar"],
        "default_language": "en",
        "audience": {"mode": "open"},
        "default_disclosure": Disclosure.ANONYMOUS,
        "allow_disclosure_choice": True,
    }
    values.update(changes)
    return Round(**values)


def _settings(**changes) -> Settings:
    values = {
        "public_url": "https://consulta.example.org/",
        "telegram_bot_username": "@valdoria_consulta_bot",
        "slack_bot_token": "xoxb-test",
        "webhook_secret": "whsec_dGVzdA==",
        "secret_key": "share-test-secret-key",
    }
    values.update(changes)
    return Settings(**values)


def test_every_channel_has_its_link_or_instruction():
    kit = share.build_share_kit(_round(), _settings(), now=NOW)
    assert [link.channel for link in kit.links] == [
        Platform.TELEGRAM,
        Platform.SLACK,
        Platform.WEBHOOK,
        Platform.WEB,
    ]
    telegram = kit.link("telegram")
    assert telegram is not None
    assert telegram.url_or_instruction == "https://t.me/valdoria_consulta_bot?start=VLD2027"
    assert telegram.qr_target == telegram.url_or_instruction
    assert telegram.text_to_send == "/start VLD2027"
    slack = kit.link("slack")
    assert slack is not None
    assert slack.url_or_instruction == (
        "In Slack, open a direct message with the Consulta app and type /consult join VLD2027"
    )
    assert slack.qr_target == slack.url_or_instruction
    webhook = kit.link("webhook")
    assert webhook is not None
    assert webhook.text_to_send == "VLD2027" and webhook.qr_target is None
    assert webhook.operator_url == "https://consulta.example.org/webhook/inbound"
    web = kit.link("web")
    assert web is not None
    assert web.url_or_instruction == web.qr_target == "https://consulta.example.org/take/VLD2027"
    assert [link.ready for link in kit.links] == [True, True, True, True]
    assert kit.link("terminal") is None


def test_the_web_link_waits_for_the_secret_key_that_signs_its_forms():
    kit = share.build_share_kit(_round(), _settings(secret_key=None), now=NOW)
    web = kit.link("web")
    assert web is not None and not web.ready
    assert web.url_or_instruction == "https://consulta.example.org/take/VLD2027"
    assert any(note.startswith("Web: CONSULTA_SECRET_KEY is not set") for note in kit.notes)
    assert all("/take/VLD2027" not in i.text for i in kit.invitations)
    assert all("t.me/valdoria_consulta_bot" in i.text for i in kit.invitations)


def test_without_a_bot_username_the_telegram_link_is_absent_and_a_note_says_why():
    kit = share.build_share_kit(_round(), _settings(telegram_bot_username=None), now=NOW)
    assert kit.link("telegram") is None
    assert any("CONSULTA_TELEGRAM_BOT_USERNAME" in note for note in kit.notes)
    assert all("t.me" not in i.text for i in kit.invitations)
    pasted = share.build_share_kit(
        _round(), _settings(telegram_bot_username="https://t.me/valdoria_bot"), now=NOW
    )
    assert pasted.link("telegram") is None
    assert any("the bot's @username alone" in note for note in pasted.notes)


def test_unconfigured_channels_and_a_local_address_are_flagged_and_left_out_of_invitations():
    kit = share.build_share_kit(
        _round(),
        Settings(public_url="http://127.0.0.1:8000"),
        now=NOW,
    )
    notes = "\n".join(kit.notes)
    assert "CONSULTA_SLACK_BOT_TOKEN" in notes and "CONSULTA_WEBHOOK_SECRET" in notes
    assert "CONSULTA_SECRET_KEY is not set, so http://127.0.0.1:8000/take/VLD2027" in notes
    assert "CONSULTA_PUBLIC_URL is http://127.0.0.1:8000" in notes
    assert not any(link.ready for link in kit.links)
    english = kit.invitations[0].text
    assert "How to join" not in english
    assert "The organisers will tell you where to send this code." in english
    assert "Join code: VLD2027" in english


def test_invitations_come_in_the_round_languages_with_the_local_closing_time():
    kit = share.build_share_kit(_round(), _settings(), now=NOW)
    assert [i.language for i in kit.invitations] == ["en", "fr", "ar"]
    english = kit.invitations[0].text
    assert "“Valdoria mid-term check”" in english
    assert "- On Telegram, open https://t.me/valdoria_consulta_bot?start=VLD2027" in english
    assert "/consult join VLD2027" in english
    assert "send VLD2027 to the number the organisers give" in english
    assert "- On the web, open https://consulta.example.org/take/VLD2027" in english
    assert "The consultation closes on June 30, 2027, 11:59\u202fPM (Paris)." in english
    assert "opens on" not in english
    assert "Organisers see your answers without your name or organisation." in english
    assert "you can choose who may see that it came from you" in english
    assert "voluntary" in english
    assert kit.as_data()["invitations"]["ar"] == kit.invitations[2].text


def test_every_sentence_of_an_invitation_goes_through_translation(monkeypatch):
    monkeypatch.setattr(share, "translate", lambda language, message: f"[{language}]{message}")
    kit = share.build_share_kit(_round(), _settings(), now=NOW)
    for invitation in kit.invitations:
        for line in invitation.text.splitlines():
            if line:
                assert line.removeprefix("- ").startswith(f"[{invitation.language}]"), line
    # The Slack instruction people scan from a poster is in the round's default language.
    assert kit.link("slack").url_or_instruction.startswith("[en]")
    assert not any("in English for now" in note for note in kit.notes)


def test_languages_without_a_translation_are_flagged():
    # The six UN languages have catalogs; a round that also speaks Portuguese does not.
    kit = share.build_share_kit(_round(languages=["en", "fr", "pt"]), _settings(), now=NOW)
    assert "Invitations in pt are in English for now" in "\n".join(kit.notes)
    six = share.build_share_kit(_round(), _settings(), now=NOW)
    assert not any("in English for now" in note for note in six.notes)
    french = {i.language: i.text for i in six.invitations}["fr"]
    assert french.startswith("Vous êtes invité")


def test_notes_for_the_organiser_are_in_the_organisers_language():
    kit = share.build_share_kit(_round(), _settings(), now=NOW, reader="es")
    expected = translate(
        "es",
        "Webhook: the SMS or WhatsApp number belongs to your gateway; its operator "
        "posts inbound messages to {inbound}.",
    ).format(inbound="https://consulta.example.org/webhook/inbound")
    assert expected.startswith("Webhook: el número")
    assert expected in kit.notes


@pytest.mark.parametrize(
    ("disclosure", "choice", "present", "absent"),
    [
        (Disclosure.ORGANISATION, False, "see your organisation next to your answers", "choose"),
        (Disclosure.NAMED, True, "see your name and organisation", "without your name"),
    ],
)
def test_the_invitation_states_the_disclosure_the_round_sets(disclosure, choice, present, absent):
    consultation = _round(default_disclosure=disclosure, allow_disclosure_choice=choice)
    text = share.build_share_kit(consultation, _settings(), now=NOW).invitations[0].text
    assert present in text and absent not in text


def test_opening_closing_and_round_state_are_told_honestly():
    later = _round(
        status=RoundStatus.DRAFT,
        opens_at=datetime(2027, 5, 10, 7, 0, tzinfo=UTC),
        closes_at=None,
        timezone="Asia/Tokyo",
        audience={"mode": "invited", "roles": ["nhri"]},
    )
    kit = share.build_share_kit(later, _settings(), now=NOW)
    text = kit.invitations[0].text
    assert "The consultation opens on May 10, 2027, 4:00\u202fPM (Tokyo)." in text
    assert "The consultation has no set closing date." in text
    assert any("is not open" in note for note in kit.notes)
    assert any("invited-only" in note for note in kit.notes)
    closed = _round(status=RoundStatus.CLOSED, closes_at=datetime(2027, 4, 20, tzinfo=UTC))
    kit = share.build_share_kit(closed, _settings(), now=NOW)
    assert (
        "The consultation closed on April 20, 2027, 2:00\u202fAM (Paris)."
        in kit.invitations[0].text
    )
    assert any("is closed" in note for note in kit.notes)


def test_the_kit_as_data_has_every_link_and_note():
    data = share.build_share_kit(_round(), _settings(), now=NOW).as_data()
    assert data["code"] == "VLD2027" and data["status"] == "open"
    assert [link["channel"] for link in data["links"]] == ["telegram", "slack", "webhook", "web"]
    assert set(data["links"][0]) == {
        "channel",
        "url_or_instruction",
        "text_to_send",
        "qr_target",
        "ready",
        "operator_url",
    }
    assert list(data["invitations"]) == ["en", "fr", "ar"]


def _png_chunks(data: bytes) -> dict[bytes, bytes]:
    """Walk a PNG's chunks, checking each CRC; IDAT chunks are joined."""
    assert data[:8] == PNG_SIGNATURE
    chunks: dict[bytes, bytes] = {}
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks[kind] = chunks.get(kind, b"") + body
        offset += 12 + length
    return chunks


def test_the_png_qr_code_is_a_whole_png_of_the_expected_size():
    url = "https://t.me/valdoria_consulta_bot?start=VLD2027"
    image = share.qr_png(url, scale=5)
    chunks = _png_chunks(image)
    order = list(chunks)
    assert (order[0], order[-1]) == (b"IHDR", b"IEND")
    width, height, depth = struct.unpack(">IIB", chunks[b"IHDR"][:9])
    modules = segno.make(url, error="m", micro=False).symbol_size(scale=1, border=0)[0]
    # The quiet zone adds four modules on each side.
    assert width == height == (modules + 8) * 5
    pixels = zlib.decompress(chunks[b"IDAT"])
    row_bytes = 1 + (width * depth + 7) // 8
    assert len(pixels) == height * row_bytes
    assert struct.unpack(">I", share.qr_png(url, scale=10)[16:20])[0] == (modules + 8) * 10


def test_the_svg_qr_code_is_an_svg_document():
    svg = share.qr_svg("In Slack, open a direct message and type /consult join VLD2027")
    assert svg.startswith("<?xml")
    root = ElementTree.fromstring(svg.encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.get("width")) == int(root.get("height")) > 0


def test_qr_codes_refuse_what_they_cannot_draw():
    with pytest.raises(InvalidInput, match="needs some text"):
        share.qr_png("")
    with pytest.raises(InvalidInput, match="scale"):
        share.qr_png("VLD2027", scale=0)
    with pytest.raises(InvalidInput, match="too many for one QR code"):
        share.qr_svg("x" * 5000)


def test_invitations_and_notes_find_every_word_in_the_catalogs():
    closed = _round(status=RoundStatus.CLOSED, closes_at=datetime(2027, 4, 20, tzinfo=UTC))
    with recording_missing_messages() as recorders:
        for consultation in (_round(languages=["en", "fr", "es", "ar", "ru", "zh"]), closed):
            for reader in ("fr", "es", "ar", "ru", "zh"):
                share.build_share_kit(consultation, _settings(), now=NOW, reader=reader)
    assert missing_in(recorders) == {}
