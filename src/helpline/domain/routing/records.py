"""The router's private, mutable records of agents, queues and items (slotted: touched on every decision)."""

from __future__ import annotations

from collections.abc import Mapping

from helpline.domain.routing.capacity import Load
from helpline.domain.routing.model import AgentSpec, PassedOver, Presence, QueueSpec, RelaxStep, Work
from helpline.domain.routing.overflow import Chooser

# Item states.
WAITING, OFFERED, ACTIVE, ENDED = 0, 1, 2, 3
STATE_NAMES = ("waiting", "offered", "active", "ended")

# Fit of an agent for a queue: (meets the queue's own per-skill minimums, lowest proficiency among the
# queue's skills, summed proficiency). Only agents with every skill at some level, serving the tenant
# and with a limit for the channel, get a fit at all.
Fit = tuple[bool, int, int]
NO_SKILLS_PROFICIENCY = 5  # a queue without skills: every agent counts as fully proficient


def skills_text(skills: Mapping[str, int]) -> str:
    return ", ".join(f"{skill}>={level}" for skill, level in skills.items()) or "no skills"


def step_text(skills: Mapping[str, int], step: RelaxStep) -> str:
    after = f"after {step.after_seconds:g} s"
    if step.min_proficiency is None:
        return f"proficiency {skills_text(skills)} -> any level {after}"
    return f"proficiency {skills_text(skills)} -> >={step.min_proficiency} {after}"


def primary_language(tag: str | None) -> str | None:
    """'fr-CA' -> 'fr'; None or '' -> None."""
    if not tag:
        return None
    return tag.split("-", 1)[0].split("_", 1)[0].strip().lower() or None


def fit_for(spec: AgentSpec, queue: QueueSpec) -> Fit | None:
    if queue.tenant_id not in spec.tenants or spec.profile.limits.get(queue.channel, 0) <= 0:
        return None
    skills = spec.skills
    if not queue.skills:
        return (True, NO_SKILLS_PROFICIENCY, 0)
    levels = []
    for skill in queue.skills:
        level = skills.get(skill)
        if level is None:
            return None
        levels.append(level)
    meets = all(skills[s] >= minimum for s, minimum in queue.skills.items())
    return (meets, min(levels), sum(levels))


class AgentRecord:
    __slots__ = (
        "free_on",
        "holding",
        "id",
        "idle_since",
        "langs",
        "load",
        "pref_items",
        "presence",
        "reason",
        "scan",
        "spec",
    )

    def __init__(self, spec: AgentSpec, now: float) -> None:
        self.id = spec.id
        self.spec = spec
        self.presence = Presence.OFFLINE
        self.reason: str | None = None
        self.idle_since = now
        self.holding: dict[int, str] = {}  # work_id -> "offered" | "active" | "wrap_up"
        self.load = Load(spec.profile)
        self.langs = frozenset(filter(None, (primary_language(t) for t in spec.languages)))
        # channel -> [(queue, meets, min proficiency)] for the queues this agent could serve.
        self.scan: dict[str, list[tuple[QueueRecord, bool, int]]] = {}
        self.pref_items: set[int] = set()  # items inside their preferred-agent window that name this agent
        self.free_on: dict[str, bool] = {}  # channel -> whether the queues' free sets hold them (cache)


# A lane groups the waiting items of a queue that make the same demands on an agent:
# (need, closed language or None, closed site or None, inside a preferred-agent window). An agent
# asking for work checks a lane's demands once instead of item by item.
# Order keys hold the item id, not the item: tuples of numbers are untracked by the garbage collector.
Key = tuple[float, float, int, int]
Lane = list[Key]
LaneKey = tuple[int, str | None, str | None, bool]


class QueueRecord:
    __slots__ = (
        "aging60",
        "base",
        "cands",
        "channel",
        "chooser",
        "free",
        "free_meets",
        "held",
        "id",
        "lanes",
        "offered",
        "plain",
        "reasons",
        "spec",
        "step_texts",
        "steps",
        "tenant_id",
        "waiting",
    )

    def __init__(self, spec: QueueSpec) -> None:
        self.id = spec.id
        self.tenant_id = spec.tenant_id
        self.waiting: list[Key] = []  # sorted routing order
        self.lanes: dict[LaneKey, Lane] = {}  # the same items split by what they demand, each sorted
        self.cands: dict[int, Fit] = {}  # agent id -> fit, for every agent who could ever serve the queue
        self.free: set[int] = set()  # of those: AVAILABLE and able to take one more item of the channel now
        self.free_meets: set[int] = set()  # of those: meeting the queue's own per-skill minimums
        self.offered: set[int] = set()
        self.held: set[int] = set()
        self.chooser = Chooser(spec.overflow)
        self.configure(spec)

    def configure(self, spec: QueueSpec) -> None:
        self.spec = spec
        self.channel = spec.channel
        self.aging60 = spec.aging_per_minute / 60.0
        self.base = spec.priority
        self.steps: tuple[RelaxStep, ...] = tuple(sorted(spec.relaxation, key=lambda s: s.after_seconds))
        self.step_texts: tuple[str, ...] = tuple(step_text(spec.skills, step) for step in self.steps)
        self.reasons: dict[tuple[LaneKey, int], PassedOver] = {}  # why agents skip a lane (engine._lane_refusal)
        # No relaxation step and no queue language: an item without language, site or preferred agents
        # has nothing to time while it waits (Router.enqueue's fast path).
        self.plain = not self.steps and primary_language(spec.language) is None

    def key(self, item: ItemRecord) -> Key:
        """Static order key: effective priority grows linearly for everyone, so this sorts the same at any instant."""
        work = item.work
        return (self.aging60 * work.enqueued_at - (self.base + work.priority), work.enqueued_at, item.seq, item.id)


class ItemRecord:
    __slots__ = (
        "armed",
        "excluded",
        "holders",
        "id",
        "key",
        "lane",
        "lane_key",
        "lang",
        "lang_open",
        "level",
        "need",
        "offer_expires",
        "offer_token",
        "offered_to",
        "pref_done",
        "pref_ids",
        "pref_open",
        "queue",
        "relaxed",
        "seq",
        "site_open",
        "state",
        "token",
        "visited",
        "work",
        "wrap_tokens",
    )

    def __init__(self, work: Work, queue: QueueRecord, seq: int) -> None:
        self.id = work_id = work.id
        self.work = work
        self.queue = queue
        self.seq = seq
        at = work.enqueued_at  # QueueRecord.key, inlined (one record per arrival)
        self.key: Key = (queue.aging60 * at - (queue.base + work.priority), at, seq, work_id)
        self.state = WAITING
        self.offered_to: int | None = None
        self.offer_token = 0
        self.offer_expires = 0.0
        self.holders: dict[int, str] = {}
        self.wrap_tokens: dict[int, int] = {}
        self.excluded: set[int] | None = None  # agents who rejected or missed it in this queue
        self.pref_ids = tuple(p.agent_id for p in work.preferred) if work.preferred else ()
        self.pref_open = False
        self.pref_done = False  # a preferred agent rejected or missed it: the window is over for good
        self.lang: str | None = None
        self.lang_open = False
        self.site_open = False
        self.level = 0  # relaxation steps applied in this queue
        self.need = -1  # -1: the queue's own per-skill minimums; 0: any level; n: every skill >= n
        self.relaxed: tuple[str, ...] = ()  # a tuple: fewer objects for the garbage collector to track
        self.token = 0  # placement token: timers of an older placement are stale
        self.armed = False  # timers and flags set for the current placement
        self.visited: set[int] | None = None  # queues it has overflowed through (no loops); None: none yet
        self.lane: Lane | None = None  # the lane it waits in (None when not waiting)
        self.lane_key: LaneKey | None = None
