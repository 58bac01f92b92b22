"""The routing engine's vocabulary: agents, capacity profiles, queues, work items and decisions.

Times are plain floats (seconds since the epoch) inside the engine: it compares and adds them on
every decision, and a float costs far less than a datetime there. Services convert at the edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Presence(StrEnum):
    """What the agent (or a supervisor) chose; the router never sets AVAILABLE by itself except
    when a wrap-up timer ends."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    AWAY = "away"


class AgentState(StrEnum):
    """What a wallboard shows: presence combined with the work the agent holds."""

    OFFLINE = "offline"
    AVAILABLE = "available"  # present and holding no work
    BUSY = "busy"  # holding at least one offered or active item
    WRAP_UP = "wrap_up"  # holding only items in wrap-up
    AWAY = "away"


class Strategy(StrEnum):
    """How a queue picks among several free agents who can take an item."""

    LONGEST_IDLE = "longest_idle"  # the agent who has been without new work the longest
    MOST_PROFICIENT = "most_proficient"  # highest summed proficiency in the queue's skills; ties: longest idle
    LEAST_OCCUPIED = "least_occupied"  # lowest share of capacity in use; ties: longest idle


MISSED = "missed"  # the away reason the router sets when an offer times out


@dataclass(frozen=True, slots=True)
class CapacityProfile:
    """How much work of each channel an agent holds at once.

    `limits`: channel -> most items at once (a channel missing here is one the agent never gets).
    `exclusive`: channels that, while held, block every new item (a call blocks new chats), and
      that are only offered to an agent holding nothing but interruptible work.
    `interruptible`: channels whose items an exclusive item may interrupt (an email agent who is
      idle on the phone takes calls: blending).
    `max_total`: an optional cap on all items together.
    """

    name: str
    limits: Mapping[str, int]
    exclusive: frozenset[str] = frozenset({"voice"})
    interruptible: frozenset[str] = frozenset({"email", "letter", "fax", "work_item", "web_form"})
    max_total: int | None = None


# The service level a queue is measured against when nobody set one: calls answered at once, chat
# within half a minute, email and forms within two days, letters within ten (the center's usual promise).
DEFAULT_SERVICE_LEVEL_SECONDS: Mapping[str, int] = {
    "voice": 20,
    "chat": 30,
    "sms": 3_600,
    "social": 3_600,
    "email": 2 * 86_400,
    "web_form": 2 * 86_400,
    "fax": 2 * 86_400,
    "work_item": 86_400,
    "letter": 10 * 86_400,
}

VOICE_ONLY = CapacityProfile("voice", {"voice": 1})
BLENDED = CapacityProfile("blended", {"voice": 1, "chat": 3, "email": 5, "sms": 3, "social": 3, "web_form": 5})
DIGITAL = CapacityProfile(
    "digital", {"chat": 3, "email": 5, "sms": 3, "social": 3, "web_form": 5, "letter": 5, "fax": 5, "work_item": 5}
)


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """An agent as the router sees them. `skills`: skill -> proficiency 1..5; `languages`: tags
    such as "en", "fr" (compared on the primary subtag); `tenants`: tenant ids served."""

    id: int
    name: str
    skills: Mapping[str, int]
    languages: frozenset[str]
    tenants: frozenset[int]
    site: str = "main"
    profile: CapacityProfile = BLENDED


@dataclass(frozen=True, slots=True)
class RelaxStep:
    """After `after_seconds` of waiting, widen the search for an item.

    `min_proficiency`: the proficiency every required skill now needs (None: any agent with the
    skill at all); `overflow_queue_id`: move the item to that queue (of the same tenant) instead.
    """

    after_seconds: float
    min_proficiency: int | None = None
    overflow_queue_id: int | None = None


@dataclass(frozen=True, slots=True)
class OverflowTarget:
    """Where a share of a queue's arrivals goes. `kind` "site": served only by agents of that site;
    "partner": handed to a partner center outside this router (the service sends it there)."""

    name: str
    kind: str  # "site" | "partner"
    weight: float  # relative; weights of a plan need not sum to 100


@dataclass(frozen=True, slots=True)
class Hours:
    """Weekly opening hours in the queue's timezone: weekday (0 = Monday) -> list of (open, close)
    minutes since midnight; `closed_dates`: ISO dates (holidays) closed all day. `None` hours on a
    queue means always open."""

    timezone: str
    weekly: Mapping[int, tuple[tuple[int, int], ...]]
    closed_dates: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A queue's routing settings.

    `skills`: skill -> minimum proficiency an agent needs at first. `priority`: added to every
    item's own priority. `aging_per_minute`: how much priority an item gains per minute waited.
    `preferred_wait_seconds`: how long an item waits for the customer's dedicated or recent agent
    before any agent may take it. `language_wait_seconds`: after this, an item whose language no
    free agent speaks goes to any agent, flagged interpreter needed.
    """

    id: int
    tenant_id: int
    name: str
    channel: str
    skills: Mapping[str, int] = field(default_factory=dict)
    language: str | None = None
    priority: int = 0
    aging_per_minute: float = 1.0
    strategy: Strategy = Strategy.LONGEST_IDLE
    preferred_wait_seconds: float = 30.0
    language_wait_seconds: float = 60.0
    relaxation: tuple[RelaxStep, ...] = ()
    offer_timeout_seconds: float = 20.0
    wrap_up_seconds: float = 60.0
    overflow: tuple[OverflowTarget, ...] = ()
    hours: Hours | None = None
    service_level_seconds: float = 20.0  # answered within this many seconds counts as in service level
    service_level_percent: float = 80.0


@dataclass(frozen=True, slots=True)
class Preference:
    """An agent the customer should get first: their dedicated agent, or one who served them lately."""

    agent_id: int
    reason: str  # "dedicated" | "recent"


@dataclass(slots=True)
class Work:
    """One interaction waiting for, offered to, or held by agents.

    `priority` is the item's own (VIP tier, callbacks); the queue's priority is added to it.
    `language`: the customer's language, or None to use the queue's. `site`: set when overflow
    sent the item to one site's agents only.
    """

    id: int
    tenant_id: int
    queue_id: int
    channel: str
    enqueued_at: float
    priority: int = 0
    language: str | None = None
    preferred: tuple[Preference, ...] = ()
    site: str | None = None


@dataclass(frozen=True, slots=True)
class PassedOver:
    """An agent (or, when an agent asked for work, an item) that was not chosen, and why."""

    id: int
    reason: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a decision came out as it did: stored with the interaction, shown to supervisors."""

    strategy: str
    reason: str  # one sentence: "longest idle of 4 free agents with billing>=3"
    candidates: int  # how many agents (or items) were considered
    passed_over: tuple[PassedOver, ...] = ()  # the first few, not all
    relaxed: tuple[str, ...] = ()  # "proficiency billing>=3 -> >=1 after 60 s", "language fr -> any"
    interpreter_needed: bool = False
    preferred: str | None = None  # "dedicated" | "recent" when a preferred agent got it


class EffectKind(StrEnum):
    OFFERED = "offered"  # offer work_id to agent_id (explanation set)
    OFFER_TIMED_OUT = "offer_timed_out"  # agent_id did not answer: now away "missed"; item back in queue
    OFFER_WITHDRAWN = "offer_withdrawn"  # agent went away/offline or the customer left before accepting
    OVERFLOWED = "overflowed"  # item moved to another queue (to_queue_id) or to a partner (target)
    RELAXED = "relaxed"  # the search for an item widened (detail says how)
    WRAP_UP_ENDED = "wrap_up_ended"  # the wrap-up timer of work_id ran out; its slot is free again
    CLOSED = "closed"  # item arrived at a closed queue: not queued; the customer is told


@dataclass(frozen=True, slots=True)
class Effect:
    """Something the router decided that the service must persist and announce."""

    kind: EffectKind
    work_id: int
    agent_id: int | None = None
    explanation: Explanation | None = None
    to_queue_id: int | None = None
    target: str | None = None
    detail: str = ""
    at: float = 0.0
