"""The stored domain: typed mappings of recommendations, people, rounds and the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from core.crypto import EncryptedString, stored_length
from core.vocabulary import (
    Mechanism,
    OrganisationType,
    Platform,
    Position,
    RecommendationType,
    Role,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware."""

    # SQLite keeps no time zone, so without this a stored UTC time comes back naive.
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def slug_enum(enum_class: type[StrEnum]) -> Enum:
    """Store an enum by its slug, as a checked string rather than a native database enum."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Declarative base with stable constraint names, so migrations are reproducible."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


recommendation_tags = Table(
    "recommendation_tags",
    Base.metadata,
    Column(
        "recommendation_id",
        ForeignKey("recommendations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

cluster_members = Table(
    "cluster_members",
    Base.metadata,
    Column("cluster_id", ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "recommendation_id",
        ForeignKey("recommendations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

recommendation_responsibilities = Table(
    "recommendation_responsibilities",
    Base.metadata,
    Column(
        "recommendation_id",
        ForeignKey("recommendations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "entity_id",
        ForeignKey("responsible_entities.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

round_recommendations = Table(
    "round_recommendations",
    Base.metadata,
    Column("round_id", ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "recommendation_id",
        ForeignKey("recommendations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class TagKind(StrEnum):
    """What a tag on a recommendation describes."""

    THEME = "theme"
    AFFECTED_PERSONS = "affected_persons"
    SDG_TARGET = "sdg_target"
    RECOMMENDING_STATE = "recommending_state"
    REGION = "region"


class Tag(Base):
    """A theme, group of affected persons, SDG target, recommending state or region."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("kind", "code", name="uq_tags_kind_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TagKind] = mapped_column(slug_enum(TagKind))
    # The code is what filters match: an SDG target's number, otherwise the name itself.
    code: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(Text, default="")


class Recommendation(Base):
    """A recommendation (or a treaty body's concern) addressed to a state under review."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    content_fingerprint: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str | None] = mapped_column(String(120), index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    paragraph: Mapped[str | None] = mapped_column(String(40))
    document_symbol: Mapped[str | None] = mapped_column(String(120))
    state_under_review: Mapped[str] = mapped_column(String(120), index=True)
    mechanism: Mapped[Mechanism] = mapped_column(slug_enum(Mechanism), index=True)
    body: Mapped[str] = mapped_column(String(255))
    position: Mapped[Position | None] = mapped_column(slug_enum(Position))
    kind: Mapped[RecommendationType] = mapped_column(
        slug_enum(RecommendationType), default=RecommendationType.RECOMMENDATION
    )
    upr_cycle: Mapped[int | None] = mapped_column(Integer)
    upr_session: Mapped[int | None] = mapped_column(Integer)
    published_on: Mapped[date | None] = mapped_column(Date)
    action_category: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    tags: Mapped[list[Tag]] = relationship(secondary=recommendation_tags, lazy="selectin")
    translations: Mapped[list[RecommendationTranslation]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", lazy="selectin"
    )
    responsible_entities: Mapped[list[ResponsibleEntity]] = relationship(
        secondary=recommendation_responsibilities, lazy="selectin"
    )

    def tags_of(self, kind: TagKind) -> list[Tag]:
        """This recommendation's tags of one kind, in a stable order."""
        return sorted((t for t in self.tags if t.kind == kind), key=lambda t: t.code)

    def text_in(self, language: str) -> str:
        """The text in the given language, or in its source language when there is none."""
        return self.text_shown(language)[0]

    def text_shown(self, language: str, fallback: str | None = None) -> tuple[str, str]:
        """The text in the language, else in the fallback, else as made; and its language."""
        for wanted in (language, fallback):
            if wanted == self.language:
                return self.text, self.language
            for translation in self.translations:
                if translation.language == wanted:
                    return translation.text, wanted
        return self.text, self.language


class RecommendationTranslation(Base):
    """The text of a recommendation in another language."""

    __tablename__ = "recommendation_translations"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "language", name="uq_translation_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    recommendation: Mapped[Recommendation] = relationship(back_populates="translations")


class Cluster(Base):
    """A group of recommendations an organiser follows up together."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[list[Recommendation]] = relationship(secondary=cluster_members)


class ResponsibleEntity(Base):
    """A ministry or agency responsible for implementing recommendations."""

    __tablename__ = "responsible_entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    acronym: Mapped[str | None] = mapped_column(String(40))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )


class Organisation(Base):
    """A government entity, NHRI, civil society organisation, academic body or UN agency."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[OrganisationType] = mapped_column(slug_enum(OrganisationType))
    country: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Participant(Base):
    """A person who takes part, with exactly one role."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: uuid.uuid4().hex)
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(slug_enum(Role), default=Role.CIVIL_SOCIETY)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str | None] = mapped_column(String(8))
    # True once the person chose a language themselves (`language`, the App Home, a web form):
    # from then on a platform's hint, such as Telegram's language_code, no longer changes it.
    language_chosen: Mapped[bool] = mapped_column(default=False)
    # `textonly`: numbered lists instead of buttons, for screen readers and SMS.
    text_only: Mapped[bool] = mapped_column(default=False)
    # `easyread`: short sentences, one question per message, plain words.
    easy_read: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by `optout`: nothing is sent until the participant writes again.
    opted_out_at: Mapped[datetime | None] = mapped_column()
    # From Slack's profile or the `timezone` command; else the round's zone applies.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Set when an organiser vouched for the role: by adding the person, or by an invitation
    # code the person redeemed. Government and NHRI roles count only once verified.
    verified_at: Mapped[datetime | None] = mapped_column()
    # Whoever answers on a recommendation follows it, unless they said `autofollow off`.
    auto_follow: Mapped[bool] = mapped_column(default=True)
    # Permissions given to this person by name, beyond their role (e.g. "export:raw").
    grants: Mapped[list[str]] = mapped_column(JSON, default=list)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    identities: Mapped[list[PlatformIdentity]] = relationship(
        back_populates="participant", cascade="all, delete-orphan"
    )


class PlatformIdentity(Base):
    """How one participant is known on one platform (Slack user, Telegram chat, ...)."""

    __tablename__ = "platform_identities"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_identity_platform_external"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[Platform] = mapped_column(slug_enum(Platform))
    # Up to 255 characters, encrypted at rest; look-ups by equality work unchanged (core/crypto.py).
    external_id: Mapped[str] = mapped_column(EncryptedString(stored_length(255)))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # False once the person blocked the bot: nothing more is sent until they write again.
    reachable: Mapped[bool] = mapped_column(default=True)
    blocked_until: Mapped[datetime | None] = mapped_column()
    participant: Mapped[Participant] = relationship(back_populates="identities")


class ApiToken(Base):
    """A bearer token that acts as one participant, kept only as a hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters let an organiser tell tokens apart without revealing them.
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    participant: Mapped[Participant] = relationship(lazy="joined")


class RoundStatus(StrEnum):
    """Where a consultation round is in its life."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class Disclosure(StrEnum):
    """Who may see who gave an answer."""

    NAMED = "named"
    ORGANISATION = "organisation"
    ANONYMOUS = "anonymous"


class Survey(Base):
    """A survey, known by its id; its content lives in numbered versions."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.version"
    )


class SurveyVersion(Base):
    """One version of a survey's definition; answers keep the version they were given under."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "version", name="uq_survey_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    survey: Mapped[Survey] = relationship(back_populates="versions")


class Round(Base):
    """A consultation round: a period in which an audience is asked about some recommendations."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RoundStatus] = mapped_column(slug_enum(RoundStatus), default=RoundStatus.DRAFT)
    opens_at: Mapped[datetime | None] = mapped_column()
    closes_at: Mapped[datetime | None] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_language: Mapped[str] = mapped_column(String(8), default="en")
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"])
    # Everyone in the round gets the survey's easy-read wording, whatever their own setting.
    easy_read: Mapped[bool] = mapped_column(default=False)
    # Aggregates never show a count below this, to protect the people who answered.
    min_cell_size: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="RESTRICT"))
    # How the scope was chosen (cluster, theme, SDG target or a list), kept for organisers.
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Who may join: {"mode": "open"} or {"mode": "invited", "roles": [...], ...}.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=lambda: {"mode": "open"})
    default_disclosure: Mapped[Disclosure] = mapped_column(
        slug_enum(Disclosure), default=Disclosure.ANONYMOUS
    )
    allow_disclosure_choice: Mapped[bool] = mapped_column(default=True)
    # The schedule: reminders to those who have not finished, never in their quiet hours.
    reminder_every_hours: Mapped[int] = mapped_column(Integer, default=72)
    max_reminders: Mapped[int] = mapped_column(Integer, default=2)
    quiet_hours_start: Mapped[int] = mapped_column(Integer, default=21)
    quiet_hours_end: Mapped[int] = mapped_column(Integer, default=8)
    closing_notice_hours: Mapped[int] = mapped_column(Integer, default=48)
    # Where a summary of response counts is posted, and how often (daily or weekly). The chat
    # is encrypted within the column's 255 characters (a chat id of up to 173 bytes fits): a
    # wider column would mean rebuilding `rounds` on SQLite, which deletes what refers to it.
    digest_platform: Mapped[Platform | None] = mapped_column(slug_enum(Platform))
    digest_chat: Mapped[str | None] = mapped_column(EncryptedString(255))
    digest_every: Mapped[str | None] = mapped_column(String(10))
    last_digest_at: Mapped[datetime | None] = mapped_column()
    recommendations: Mapped[list[Recommendation]] = relationship(
        secondary=round_recommendations, order_by="Recommendation.id"
    )
    survey: Mapped[Survey | None] = relationship()


class AuditEntry(Base):
    """One append-only line of the audit log: who (by pseudonym) did what, to what, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str | None] = mapped_column(String(80))
    # Counts and identifiers only: never answer text or personal data.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ConversationStatus(StrEnum):
    """Where a participant stands in one round."""

    CONSENT = "consent"
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"
    DECLINED = "declined"
    COMPLETED = "completed"


class Conversation(Base):
    """One participant's progress through one round, kept so a restart changes nothing."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("participant_id", "round_id", name="uq_conversation_participant_round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    status: Mapped[ConversationStatus] = mapped_column(
        slug_enum(ConversationStatus), default=ConversationStatus.CONSENT
    )
    # The step being asked, the steps answered before it (for `back`), the loop selections,
    # and anything half-answered (multiple-choice picks, a disclosure still to choose).
    cursor: Mapped[str | None] = mapped_column(String(120))
    history: Mapped[list[str]] = mapped_column(JSON, default=list)
    selections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pending: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Every prompt gets the next number; a button from an older prompt is recognised as stale.
    prompt_seq: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str] = mapped_column(String(8), default="en")
    channel: Mapped[Platform] = mapped_column(slug_enum(Platform))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    participant: Mapped[Participant] = relationship()
    round: Mapped[Round] = relationship()
    survey_version: Mapped[SurveyVersion] = relationship()


class Answer(Base):
    """One version of one answer; a change adds a version, a withdrawal hides them all."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("conversation_id", "slot", "version", name="uq_answer_slot_version"),
        Index("ix_answers_round_question", "round_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Round answers belong to a conversation; a follower's view of an update (update_id) to none.
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    survey_version_id: Mapped[int | None] = mapped_column(ForeignKey("survey_versions.id"))
    question_id: Mapped[str] = mapped_column(String(40))
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendations.id", ondelete="SET NULL")
    )
    # The question and, inside a loop, the recommendation: what the answer is about.
    slot: Mapped[str] = mapped_column(String(80))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[Platform] = mapped_column(slug_enum(Platform))
    disclosure: Mapped[Disclosure] = mapped_column(slug_enum(Disclosure))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    # The platform message that gave this answer, so an edit of it can change the answer.
    source_message_id: Mapped[str | None] = mapped_column(String(120), index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The question's kind, so results can find status answers without reading the survey.
    kind: Mapped[str | None] = mapped_column(String(32))
    # Set for a follower's view of a published update; such answers belong to no round.
    update_id: Mapped[int | None] = mapped_column(
        ForeignKey("implementation_updates.id", ondelete="CASCADE"), index=True
    )


class Delivery(Base):
    """A platform delivery already handled, recorded with its effect so a repeat has none."""

    __tablename__ = "deliveries"

    platform: Mapped[Platform] = mapped_column(slug_enum(Platform), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkCode(Base):
    """A one-time code that joins a second channel to the same participant."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class OutboxStatus(StrEnum):
    """Where an outbound message stands."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class OutboxMessage(Base):
    """One message to send, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "platform", "priority", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[Platform] = mapped_column(slug_enum(Platform))
    # The chat as the platform knows it, up to 255 characters, encrypted like platform ids.
    recipient: Mapped[str] = mapped_column(EncryptedString(stored_length(255)))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Replies (0) go before bulk invitations and reminders (10).
    priority: Mapped[int] = mapped_column(Integer, default=10)
    status: Mapped[OutboxStatus] = mapped_column(
        slug_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column()
    # Attempts whose outcome we never learnt (timeout, crash): the platform may have sent it.
    uncertain_attempts: Mapped[int] = mapped_column(Integer, default=0)


class Notification(Base):
    """A scheduled message already queued for someone, so a repeated tick queues it once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "participant_id", "kind", "number", name="uq_notification_once"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoleInvitation(Base):
    """A one-time code an organiser gives to NHRI staff or a government focal point."""

    __tablename__ = "role_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(slug_enum(Role))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    display_name: Mapped[str | None] = mapped_column(String(200))
    invited_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class UpdateKind(StrEnum):
    """Who reports: a government entity on its progress, or the NHRI in its assessment."""

    PROGRESS = "progress"
    ASSESSMENT = "assessment"


class UpdateState(StrEnum):
    """Where one version of an update stands in review."""

    DRAFT = "draft"
    PUBLISHED = "published"
    REJECTED = "rejected"


update_recommendations = Table(
    "update_recommendations",
    Base.metadata,
    Column(
        "update_id",
        ForeignKey("implementation_updates.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "recommendation_id",
        ForeignKey("recommendations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class ImplementationUpdate(Base):
    """A report on how a recommendation, or a cluster of them, is being implemented."""

    __tablename__ = "implementation_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[UpdateKind] = mapped_column(slug_enum(UpdateKind))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE")
    )
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The recommendations it covers: the one it names, or the cluster's members when posted.
    recommendations: Mapped[list[Recommendation]] = relationship(
        secondary=update_recommendations, order_by="Recommendation.id"
    )
    versions: Mapped[list[UpdateVersion]] = relationship(
        back_populates="update", order_by="UpdateVersion.version", cascade="all, delete-orphan"
    )
    author: Mapped[Participant | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    cluster: Mapped[Cluster | None] = relationship()


class UpdateVersion(Base):
    """One version of an update; a correction adds a version and keeps the earlier ones."""

    __tablename__ = "update_versions"
    __table_args__ = (UniqueConstraint("update_id", "version", name="uq_update_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(
        ForeignKey("implementation_updates.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[UpdateState] = mapped_column(slug_enum(UpdateState))
    status: Mapped[str] = mapped_column(String(32))
    narrative: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    responsible_entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("responsible_entities.id", ondelete="SET NULL")
    )
    # [{"name": ..., "value": ..., "date": "YYYY-MM-DD"}]
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    next_step: Mapped[str | None] = mapped_column(Text)
    next_step_due: Mapped[date | None] = mapped_column(Date, index=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    channel: Mapped[str] = mapped_column(String(16), default="api")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(60))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    review_note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    update: Mapped[ImplementationUpdate] = relationship(back_populates="versions")
    responsible_entity: Mapped[ResponsibleEntity | None] = relationship(lazy="joined")


class FollowKind(StrEnum):
    """What a participant can follow."""

    RECOMMENDATION = "recommendation"
    THEME = "theme"
    SDG_TARGET = "sdg_target"


class Follow(Base):
    """A participant's wish to hear about a recommendation, a theme or an SDG target."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("participant_id", "kind", "target", name="uq_follow_once"),
        Index("ix_follows_target", "kind", "target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FollowKind] = mapped_column(slug_enum(FollowKind))
    # A recommendation's id, a theme's code or an SDG target's number.
    target: Mapped[str] = mapped_column(String(255))
    # Set when the follow came from answering on the recommendation, not from `follow`.
    automatic: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notice(Base):
    """Something to tell one person outside a round; sent under the daily cap, once."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("participant_id", "kind", "subject", name="uq_notice_once"),
        Index("ix_notices_pending", "sent_at", "participant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    # What it is about, so the same news reaches a person once (e.g. "update-version:12").
    subject: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class ChatForm(Base):
    """A form a participant is filling in by chat (an update, a comment), one at a time."""

    __tablename__ = "chat_forms"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    # The field being asked and what was given so far.
    field: Mapped[str] = mapped_column(String(40))
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PracticeState(StrEnum):
    """Where one version of a good practice stands in review."""

    DRAFT = "draft"
    PUBLISHED = "published"
    REJECTED = "rejected"


practice_version_tags = Table(
    "practice_version_tags",
    Base.metadata,
    Column("version_id", ForeignKey("practice_versions.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Practice(Base):
    """A good practice one mechanism shares with others: what was done, and what it taught."""

    __tablename__ = "practices"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable across deployments: an export imported elsewhere keeps it, so re-imports merge.
    uid: Mapped[str] = mapped_column(
        String(80), unique=True, default=lambda: f"urn:uuid:{uuid.uuid4()}"
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    # The organisation's name as published; kept as it came for practices from elsewhere.
    publisher: Mapped[str | None] = mapped_column(String(200))
    # The deployment it was first published in, when that is not this one.
    origin: Mapped[str | None] = mapped_column(String(200))
    origin_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    versions: Mapped[list[PracticeVersion]] = relationship(
        back_populates="practice",
        order_by="PracticeVersion.version",
        cascade="all, delete-orphan",
    )
    author: Mapped[Participant | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()


class PracticeVersion(Base):
    """One version of a practice; an edit adds a version and keeps the earlier ones."""

    __tablename__ = "practice_versions"
    __table_args__ = (
        UniqueConstraint("practice_id", "version", name="uq_practice_version"),
        Index("ix_practice_versions_current", "current", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[PracticeState] = mapped_column(slug_enum(PracticeState))
    # True on the one version the public sees: the practice's latest published one.
    current: Mapped[bool] = mapped_column(default=False)
    # The language the texts below are written in; `translations` holds the others.
    language: Mapped[str] = mapped_column(String(8), default="en")
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    done: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    # {"fr": {"title": ..., "summary": ..., ...}}
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    # [{"key": ..., "source_id": ..., "document_symbol": ..., "paragraph": ...}]: they travel
    # between deployments, where local numbers mean nothing.
    recommendations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # How the mechanism is set up, e.g. "inter-ministerial committee with a CSO seat".
    mechanism: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(120), default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact: Mapped[str | None] = mapped_column(String(300))
    licence: Mapped[str] = mapped_column(String(40), default="CC-BY-4.0")
    # Every text, translation, theme and mechanism folded for search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # What the content hashes to: an import recognises a version it already holds.
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # The deployment this version came from, when it was imported.
    origin: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16), default="api")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(60))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    review_note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column()
    practice: Mapped[Practice] = relationship(back_populates="versions")
    # Themes and SDG targets, in the same vocabulary as recommendations, so `follow` finds them.
    tags: Mapped[list[Tag]] = relationship(secondary=practice_version_tags, lazy="selectin")

    def tags_of(self, kind: TagKind) -> list[Tag]:
        """This version's tags of one kind, in a stable order."""
        return sorted((t for t in self.tags if t.kind == kind), key=lambda t: t.code)


class PracticeQuestion(Base):
    """A participant's question about a practice, relayed to its author, and the answer."""

    __tablename__ = "practice_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        ForeignKey("practices.id", ondelete="CASCADE"), index=True
    )
    asker_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(60))
    answered_at: Mapped[datetime | None] = mapped_column()
    practice: Mapped[Practice] = relationship()
    asker: Mapped[Participant] = relationship()
