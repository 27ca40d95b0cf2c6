"""One participant through a whole round over the signed webhook, as an SMS gateway would."""

from __future__ import annotations

import itertools
import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from bots.api.app import create_app
from core.config import Settings
from core.models import Answer, Conversation, ConversationStatus, utcnow
from tests.conftest import PSEUDONYM_KEY
from tests.core.conversation.conftest import open_round
from tests.core.conversation.test_dialogues import FULL_RUN
from tests.fakes.webhook_gateway import SECRET, signed_headers


def test_from_joining_to_the_summary_by_sms(database):
    open_round(database, now=utcnow())
    settings = Settings(
        database_url=database.url, pseudonym_key=PSEUDONYM_KEY.decode(), webhook_secret=SECRET
    )
    ids = itertools.count(1)
    with TestClient(create_app(settings, database=database)) as client:
        last = ""
        for sent, expected in FULL_RUN:
            n = next(ids)
            body = json.dumps(
                {
                    "sender": "+254700000001",
                    "text": sent,
                    "message_id": f"sms-{n}",
                    "language": "en",
                }
            ).encode()
            response = client.post(
                "/webhook/inbound", content=body, headers=signed_headers(body, f"gw-{n}")
            )
            assert response.status_code == 200
            last = "\n".join(r["text"] for r in response.json()["replies"])
            assert expected in last, f"after {sent!r}: {last}"
    assert "That was the last question" in last
    with database.unit_of_work() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.status is ConversationStatus.COMPLETED
        answers = session.scalars(select(Answer).where(Answer.is_current)).all()
        assert len(answers) == 10 and {a.channel.value for a in answers} == {"webhook"}
