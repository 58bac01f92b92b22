"""How much work an agent holds per channel, and whether one more item of a channel fits."""

from __future__ import annotations

from helpline.domain.routing.model import CapacityProfile


class Load:
    """The items one agent holds (any phase: offered, active, wrap-up), counted per channel.

    `exclusive`: held items of an exclusive channel (a call): while > 0 nothing new fits.
    `blocking`: held items of a channel that is not interruptible (a chat, a call): while > 0 no
    exclusive item fits (a chat in progress blocks a call; an email does not: blending).
    """

    __slots__ = ("blocking", "counts", "exclusive", "occupied", "profile", "total")

    def __init__(self, profile: CapacityProfile) -> None:
        self.profile = profile
        self.counts: dict[str, int] = {}
        self.total = 0
        self.exclusive = 0
        self.blocking = 0
        self.occupied = 0.0  # occupancy() cached for the least-occupied strategy; -1.0: to recompute

    def can_take(self, channel: str) -> bool:
        if self.exclusive:
            return False
        profile = self.profile
        if self.counts.get(channel, 0) >= profile.limits.get(channel, 0):
            return False
        if profile.max_total is not None and self.total >= profile.max_total:
            return False
        return not (self.blocking and channel in profile.exclusive)

    def add(self, channel: str) -> None:
        counts = self.counts
        counts[channel] = counts.get(channel, 0) + 1
        self.total += 1
        profile = self.profile
        if channel in profile.exclusive:
            self.exclusive += 1
        if channel not in profile.interruptible:
            self.blocking += 1
        self.occupied = -1.0

    def remove(self, channel: str) -> None:
        counts = self.counts
        left = counts[channel] - 1
        if left:
            counts[channel] = left
        else:
            del counts[channel]
        self.total -= 1
        profile = self.profile
        if channel in profile.exclusive:
            self.exclusive -= 1
        if channel not in profile.interruptible:
            self.blocking -= 1
        self.occupied = -1.0

    def reprofile(self, profile: CapacityProfile) -> None:
        """Switch profiles keeping what is held (the exclusive/blocking counts depend on the profile)."""
        self.profile = profile
        self.exclusive = sum(n for ch, n in self.counts.items() if ch in profile.exclusive)
        self.blocking = sum(n for ch, n in self.counts.items() if ch not in profile.interruptible)
        self.occupied = -1.0

    def occupancy(self) -> float:
        """Share of capacity in use, 0..1: the fullest channel (or the total cap); an exclusive item fills it."""
        if self.occupied >= 0.0:
            return self.occupied
        self.occupied = self._occupancy()
        return self.occupied

    def _occupancy(self) -> float:
        if self.exclusive:
            return 1.0
        profile = self.profile
        share = 0.0
        for channel, n in self.counts.items():
            limit = profile.limits.get(channel, 0)
            share = max(share, n / limit if limit > 0 else 1.0)
        if profile.max_total:
            share = max(share, self.total / profile.max_total)
        return min(share, 1.0)

    def refusal(self, channel: str) -> str | None:
        """Why one more `channel` item does not fit (None: it fits), in words for an explanation."""
        profile = self.profile
        limit = profile.limits.get(channel, 0)
        if limit <= 0:
            return f"takes no {channel}"
        if self.exclusive:
            held = next((ch for ch in self.counts if ch in profile.exclusive), "exclusive work")
            return f"busy: on {held}"
        count = self.counts.get(channel, 0)
        if count >= limit:
            return f"busy: at {channel} capacity {count}/{limit}"
        if profile.max_total is not None and self.total >= profile.max_total:
            return f"busy: at total capacity {self.total}/{profile.max_total}"
        if self.blocking and channel in profile.exclusive:
            held = next((ch for ch in self.counts if ch not in profile.interruptible), "other work")
            return f"busy: {held} in progress blocks {channel}"
        return None


def can_take(profile: CapacityProfile, held_channels: list[str], channel: str) -> bool:
    """The capacity rule from scratch (for checks and tests): may an agent holding `held_channels` take `channel`?"""
    load = Load(profile)
    for held in held_channels:
        load.add(held)
    return load.can_take(channel)


def within_limits(profile: CapacityProfile, held_channels: list[str]) -> bool:
    """No channel above its limit and the total within max_total (the 'never over capacity' invariant)."""
    counts: dict[str, int] = {}
    for ch in held_channels:
        counts[ch] = counts.get(ch, 0) + 1
    if any(n > profile.limits.get(ch, 0) for ch, n in counts.items()):
        return False
    return profile.max_total is None or len(held_channels) <= profile.max_total
