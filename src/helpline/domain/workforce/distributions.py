"""Random durations for the simulator: handle times and caller patience.

A `Duration` is exponential(mean), lognormal(mean, sd) or empirical(samples). It samples one value
(`sample`) or a block of them (`sample_block`, vectorised with numpy: the simulator draws thousands
at once because a Python-level draw per call would cost more than routing the call).

Both numpy's `Generator` and the standard library's `random.Random` are accepted as the source of
randomness, so a caller can keep whichever it already seeds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from helpline.domain.errors import ValidationFailed

Rng = np.random.Generator | random.Random
KINDS = ("exponential", "lognormal", "empirical")
MAX_SAMPLES = 10_000_000  # an empirical distribution keeps its samples in memory


def _positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):  # type: ignore[operator]
        relation = ">= 0" if allow_zero else "> 0"
        raise ValidationFailed(f"{name} must be a finite number {relation}", field=name)
    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Duration:
    """A distribution of durations in seconds. Build it with `exponential`, `lognormal` or `empirical`."""

    kind: str
    mean: float
    sd: float = 0.0
    samples: tuple[float, ...] = ()

    @classmethod
    def exponential(cls, mean: float) -> Duration:
        return cls("exponential", _positive(mean, "mean"), _positive(mean, "mean"))

    @classmethod
    def lognormal(cls, mean: float, sd: float) -> Duration:
        """Lognormal with this mean and standard deviation (not the log-scale parameters)."""
        return cls("lognormal", _positive(mean, "mean"), _positive(sd, "sd"))

    @classmethod
    def empirical(cls, samples: Sequence[float]) -> Duration:
        """Draws with replacement from observed durations (e.g. last month's handle times)."""
        values = tuple(_positive(v, "samples", allow_zero=True) for v in samples)
        if not values:
            raise ValidationFailed("an empirical distribution needs at least one sample", field="samples")
        if len(values) > MAX_SAMPLES:
            raise ValidationFailed(f"at most {MAX_SAMPLES:,} samples", field="samples")
        mean = math.fsum(values) / len(values)
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
        return cls("empirical", mean, sd, values)

    def _log_params(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal: sigma^2 = ln(1 + sd^2/mean^2), mu = ln(mean) - sigma^2/2."""
        sigma2 = math.log1p((self.sd / self.mean) ** 2)
        return math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2)

    def sample(self, rng: Rng) -> float:
        """One duration."""
        return float(self.sample_block(rng, 1)[0])

    def sample_block(self, rng: Rng, size: int) -> NDArray[np.float64]:
        """`size` independent durations."""
        if isinstance(rng, random.Random):
            return np.array([self._draw(rng) for _ in range(size)], dtype=np.float64)
        if self.kind == "exponential":
            return rng.exponential(self.mean, size)
        if self.kind == "lognormal":
            if self.sd == 0:
                return np.full(size, self.mean)
            mu, sigma = self._log_params()
            return rng.lognormal(mu, sigma, size)
        return np.asarray(self.samples, dtype=np.float64)[rng.integers(0, len(self.samples), size)]

    def _draw(self, rng: random.Random) -> float:
        if self.kind == "exponential":
            return rng.expovariate(1.0 / self.mean)
        if self.kind == "lognormal":
            if self.sd == 0:
                return self.mean
            mu, sigma = self._log_params()
            return rng.lognormvariate(mu, sigma)
        return rng.choice(self.samples)


# The simulator's two uses of a duration; the same class, named for what it measures.
HandleTime = Duration
Patience = Duration


def exponential(mean: float) -> Duration:
    return Duration.exponential(mean)


def lognormal(mean: float, sd: float) -> Duration:
    return Duration.lognormal(mean, sd)


def empirical(samples: Sequence[float]) -> Duration:
    return Duration.empirical(samples)
