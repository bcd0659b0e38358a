"""Table definitions: one schema for SQLite and PostgreSQL (Alembic migrates both)."""

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    and_,
    bindparam,
    func,
)
from sqlalchemy.engine import Dialect

from consigndesk.domain.routing import LOAD_STATUSES, QUEUE_STATUSES

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger ids autoincrement on PostgreSQL; SQLite only autoincrements INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else self.utc(value)

    @staticmethod
    def utc(value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Time = UtcDateTime()

customers = Table(
    "customers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("email", String(320)),
    Column("phone", String(40)),
    Column("language", String(8), nullable=False),
    Column("created_at", Time, nullable=False),
    Column("updated_at", Time, nullable=False),
)

groups = Table(
    "groups",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("name_en", String(100), nullable=False),
    Column("name_zh", String(100), nullable=False),
    Column("in_house_only", Boolean, nullable=False, default=False),
)

agents = Table(
    "agents",
    metadata,
    Column("id", Id, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("team", String(16), nullable=False),
    Column("groups", JSON, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("vip", Boolean, nullable=False, default=False),
    Column("language", String(8), nullable=False),
    Column("online", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", Time, nullable=False),
    Column("last_assigned_at", Time),  # routing's round-robin among equally loaded agents
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Id, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("subject", String(250), nullable=False),
    Column("language", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("priority", String(4), nullable=False),
    Column("intent", String(32), nullable=False),
    Column("intent_confidence", Float, nullable=False),
    Column("group", String(40), nullable=False),
    Column("needs_human", Boolean, nullable=False),
    Column("triage", JSON),
    Column("assignee_id", ForeignKey("agents.id")),
    Column("tags", JSON, nullable=False),
    Column("order_ref", String(64)),
    Column("order_link", String(16), nullable=False),
    Column("eta_seconds", Integer),
    Column("follow_up_of", ForeignKey("tickets.id")),
    Column("csat_score", Integer),
    Column("csat_comment", Text),
    Column("created_at", Time, nullable=False),
    Column("updated_at", Time, nullable=False),
    Column("first_response_at", Time),
    Column("solved_at", Time),
    Column("closed_at", Time),
    Column("version", Integer, nullable=False),
    Index("ix_tickets_status_priority_created", "status", "priority", "created_at"),
    Index("ix_tickets_customer_created", "customer_id", "created_at"),
    Index("ix_tickets_group_status", "group", "status"),
    Index("ix_tickets_channel", "channel"),
)

# Routing counts each agent's open tickets (their load).
Index("ix_tickets_assignee_status", tickets.c.assignee_id, tickets.c.status)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False, index=True),
    Column("author_type", String(16), nullable=False),
    Column("author_id", BigInteger),
    Column("visibility", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("attachments", JSON, nullable=False),
    Column("external_id", String(255)),
    Column("triage", JSON),
    Column("created_at", Time, nullable=False),
    Index("ux_messages_external_id", "external_id", unique=True),  # a channel id is stored once
)

timeline = Table(
    "timeline",
    metadata,
    Column("id", Id, primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False, index=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("action", String(64), nullable=False),
    Column("actor_type", String(16), nullable=False),
    Column("actor_id", BigInteger),
    Column("actor_name", String(200), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", Time, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Id, primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("occurred_at", Time, nullable=False),
    Column("published_at", Time),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
)
# only the rows still to relay: a relayed row leaves it, so the index stays small (ADR 0017)
Index(
    "ix_outbox_pending",
    outbox.c.seq,
    postgresql_where=outbox.c.published_at.is_(None),
    sqlite_where=outbox.c.published_at.is_(None),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("handler", String(100), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("processed_at", Time, nullable=False),
)

platform_events = Table(
    "platform_events",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("order_ref", String(64), nullable=False, index=True),
    Column("type", String(40), nullable=False),
    Column("occurred_at", Time, nullable=False),
    Column("data", JSON, nullable=False),
    Column("received_at", Time, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("order_ref", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("buyer_ref", String(64), index=True),
    Column("seller_ref", String(64), index=True),
    Column("amount", String(32)),
    Column("currency", String(8)),
    Column("created_at", Time),
    Column("updated_at", Time, nullable=False),
    Column("view", JSON, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("secret_hash", String(128), nullable=False),
    Column("name", String(100), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("created_at", Time, nullable=False),
    Column("last_used_at", Time),
    Column("revoked_at", Time),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("scope", String(64), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False),
    Column("created_at", Time, nullable=False),
)

settings_kv = Table(
    "settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# Labelled examples from agents' corrections of triage (intent, priority or group); the
# training command learns from these next to the seed set.
training_examples = Table(
    "training_examples",
    metadata,
    Column("id", Id, primary_key=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("field", String(16), nullable=False),
    Column("old", String(40)),
    Column("new", String(40), nullable=False),
    Column("intent", String(32), nullable=False),
    Column("priority", String(4), nullable=False),
    Column("group", String(40), nullable=False),
    Column("agent_id", BigInteger),
    Column("created_at", Time, nullable=False),
)

# --- knowledge base (help centre) ---------------------------------------------------------------
# Search: kb_search_docs holds one row per PUBLISHED translation with pre-segmented tokens. The
# migration adds, on SQLite, the FTS5 table `kb_fts` (external content = this table, kept in sync
# by the repository) and, on PostgreSQL, a generated `tsv` column with a GIN index.

kb_articles = Table(
    "kb_articles",
    metadata,
    Column("id", Id, primary_key=True),
    Column("slug", String(80), nullable=False, unique=True),
    Column("category", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("intents", JSON, nullable=False),
    Column("created_at", Time, nullable=False),
    Column("updated_at", Time, nullable=False),
    Column("published_at", Time),
    Column("version", Integer, nullable=False),
    Index("ix_kb_articles_status_category", "status", "category"),
)

kb_translations = Table(
    "kb_translations",
    metadata,
    Column("article_id", ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True),
    Column("lang", String(8), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("body_md", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", Time, nullable=False),
    Column("updated_by", String(200), nullable=False),
)

kb_versions = Table(
    "kb_versions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("article_id", ForeignKey("kb_articles.id", ondelete="CASCADE"), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("body_md", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("author_id", BigInteger),
    Column("author_name", String(200), nullable=False),
    Column("created_at", Time, nullable=False),
    Index("ux_kb_versions_article_lang_version", "article_id", "lang", "version", unique=True),
)

kb_votes = Table(
    "kb_votes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("article_id", ForeignKey("kb_articles.id", ondelete="CASCADE"), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("voter", String(64), nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("created_at", Time, nullable=False),
    Column("updated_at", Time, nullable=False),
    Index("ux_kb_votes_article_voter", "article_id", "voter", unique=True),
)

kb_search_docs = Table(
    "kb_search_docs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("article_id", ForeignKey("kb_articles.id", ondelete="CASCADE"), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("title_tokens", Text, nullable=False),
    Column("tag_tokens", Text, nullable=False),
    Column("body_tokens", Text, nullable=False),
    Column("doc_len", Integer, nullable=False),
    Column("indexed_at", Time, nullable=False),
    Index("ux_kb_search_docs_article_lang", "article_id", "lang", unique=True),
)

# Triage models trained from the seed set plus agents' corrections; the active one is served by
# every process (each checks periodically and swaps it in). Stored as the model's own files.
triage_models = Table(
    "triage_models",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("created_at", Time, nullable=False),
    Column("metrics", JSON, nullable=False),
    Column("files", JSON, nullable=False),  # file name → base64 of its bytes (JSON + npz)
    Column("active", Boolean, nullable=False, default=False),
    Column("activated_at", Time),
)

# Files customers send (email attachments, call recordings, uploads). Kept in the database so
# every stateless server process can serve them; messages refer to them by id.
attachments = Table(
    "attachments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id"), index=True),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", Time, nullable=False),
)

# List views filter by one column and page by id (newest first): these keep them index-only.
Index("ix_tickets_status_id", tickets.c.status, tickets.c.id)
Index("ix_tickets_group_id", tickets.c.group, tickets.c.id)
Index("ix_tickets_order_ref", tickets.c.order_ref)


def _status_among(name: str, statuses: tuple[str, ...]) -> ColumnElement[bool]:
    """`status IN (...)` with the statuses rendered as literals, so that the planner can match a
    query to a partial index with the same predicate (a parameter it cannot)."""
    return tickets.c.status.in_(
        bindparam(name, list(statuses), expanding=True, literal_execute=True)
    )


# In its group's queue: new or open, and nobody's yet.
WAITING_TICKET = and_(tickets.c.assignee_id.is_(None), _status_among("waiting", QUEUE_STATUSES))
# a group's queue in order (P1 first, then the oldest): its head is read without a sort
Index(
    "ix_tickets_waiting",
    tickets.c.group,
    tickets.c.priority,
    tickets.c.created_at,
    tickets.c.id,
    postgresql_where=WAITING_TICKET,
    sqlite_where=WAITING_TICKET,
)
# Held by an agent: new, open or pending, and assigned (what counts toward an agent's load).
# Routing counts every agent's load with each group of new tickets; a partial index holds only
# these few rows, so the count never reads the backlog of waiting tickets, and a new (unassigned)
# ticket adds nothing to it.
HELD_TICKET = and_(tickets.c.assignee_id.is_not(None), _status_among("held", LOAD_STATUSES))
Index(
    "ix_tickets_held",
    tickets.c.assignee_id,
    postgresql_where=HELD_TICKET,
    sqlite_where=HELD_TICKET,
)

# Web-chat sessions: which conversation (ticket) a widget is attached to, who has read how far, and
# whether the chat has ended. The widget keeps the session id; any server process can resume it.
chat_sessions = Table(
    "chat_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("customer_external_id", String(255), nullable=False, index=True),
    Column("ticket_id", ForeignKey("tickets.id"), index=True),
    Column("locale", String(8), nullable=False),
    Column("started_at", Time, nullable=False),
    Column("ended_at", Time),
    Column("ended_by", String(16)),
    Column("customer_read_id", BigInteger, nullable=False, default=0),
    Column("agent_read_id", BigInteger, nullable=False, default=0),
)

# A customer asked for a chat's transcript by email; sent by the outbound mailer when one is wired
# (`sent_at`), otherwise kept pending for it.
chat_transcripts = Table(
    "chat_transcripts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("session_id", ForeignKey("chat_sessions.id"), nullable=False, index=True),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False),
    Column("email", String(255), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("requested_at", Time, nullable=False),
    Column("sent_at", Time),
    Column("error", Text),
)

# --- email channel (docs/decisions/0401-0403) ----------------------------------------------------
# Message-IDs of the emails we sent, so a customer's reply (In-Reply-To/References) finds its
# ticket. Inbound Message-IDs are the customer messages' own `external_id`.
email_message_ids = Table(
    "email_message_ids",
    metadata,
    Column("message_id", String(255), primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False, index=True),
    Column("ticket_message_id", ForeignKey("messages.id")),
    Column("created_at", Time, nullable=False),
)

# Inbound email finds its customer by address, case-insensitively, on every message.
Index("ix_customers_email_lower", func.lower(customers.c.email))

# Mail we accepted but could not (or must not) turn into a customer message: kept whole, with the
# reason, until an admin retries it. `kind`: malformed | rejected | automatic.
email_quarantine = Table(
    "email_quarantine",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("sender", String(320), nullable=False),
    Column("subject", String(250), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("received_at", Time, nullable=False),
    Column("status", String(16), nullable=False),  # held | released
    Column("ticket_id", ForeignKey("tickets.id")),
    Column("released_at", Time),
    Index("ix_email_quarantine_status_id", "status", "id"),
)

# --- AI answers and macros (docs/decisions/0801-0803) --------------------------------------------
# One row per conversation the assistant looked at: what it decided (answered | declined), why,
# the facts and the article it used, and how it ended (solved | human | reopened) for deflection.
ai_answers = Table(
    "ai_answers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False, unique=True),
    Column("message_id", ForeignKey("messages.id")),  # the AI reply; none when declined
    Column("decision", String(16), nullable=False),
    Column("reason", String(40)),
    Column("intent", String(32), nullable=False),
    Column("language", String(8), nullable=False),
    Column("situation", String(40)),
    Column("facts", JSON, nullable=False),
    Column("article", JSON),
    Column("phrased_by", String(100), nullable=False),  # template | llm:<model>
    Column("outcome", String(16)),
    Column("outcome_at", Time),
    Column("created_at", Time, nullable=False),
    Index("ix_ai_answers_created_at", "created_at"),
)

# Canned replies with {{placeholders}} agents apply in one click (admins and supervisors edit).
macros = Table(
    "macros",
    metadata,
    Column("id", Id, primary_key=True),
    Column("title", String(120), nullable=False),
    Column("language", String(8), nullable=False),
    Column("body", Text, nullable=False),
    Column("intents", JSON, nullable=False),
    Column("created_at", Time, nullable=False),
    Column("updated_at", Time, nullable=False),
)
