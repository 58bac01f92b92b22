"""Trace replay: reading the anonymous-bank call log (good rows, the file's quirks, malformed and
hostile rows), the patience estimate, and the August 1999 validation (issue 4, item 10): the replay
reproduces the share of queued callers who hung up, 28.4%, within a stated confidence interval."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import pytest

from helpline.domain.errors import ValidationFailed
from helpline.services import simulation
from helpline.services.simulation import KaplanMeier, queued_abandon_rate, read_trace, replay, replicate

REPO = Path(__file__).resolve().parents[2]
AUGUST = Path(os.environ.get("HELPLINE_DATASETS", REPO.parent / "shared" / "datasets")) / (
    "anonymous-bank/anonymous_bank_1999_08_calls.csv"
)
HEADER = (
    "vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,q_start,q_exit,q_time,"
    "outcome,ser_start,ser_exit,ser_time,server"
)
ROWS = [
    # answered at once (never queued)
    "AA0101,1,0,0,PS,1999-08-01,9:00:00,9:00:10,10,0:00:00,0:00:00,0,AGENT,9:00:11,9:03:11,180,SHARON",
    # queued 30 s, then served
    "AA0102,2,0,2,PS,1999-08-01,9:01:00,9:01:05,5,9:01:05,9:01:35,30,AGENT,9:01:35,9:04:15,160,AVI",
    # queued, hung up after 45 s
    "AA0103,3,0,0,NW,1999-08-01,9:02:00,9:02:06,6,9:02:06,9:02:51,45,HANG,0:00:00,0:00:00,0,NO_SERVER",
    # hung up in the VRU: never asked for an agent, left out
    "AA0104,4,0,0,PS,1999-08-01,9:03:00,9:03:20,20,0:00:00,0:00:00,0,HANG,0:00:00,0:00:00,0,NO_SERVER",
    # phantom: fate unknown, left out (counted)
    "AA0105,5,0,1,PS,1999-08-01,9:04:00,9:04:05,5,9:04:05,9:04:25,20,PHANTOM,0:00:00,0:00:00,0,NO_SERVER",
    # past midnight: entered 23:59:50 on the 1st, queued at 0:00:05 (the 2nd), served 0:01:00
    "AA0106,6,0,1,NW,1999-08-01,23:59:50,0:00:05,15,0:00:05,0:01:00,55,AGENT,0:01:00,0:03:00,120,AVI",
    # the next day, hung up at once (q_time 0 but a queue start)
    "AA0107,7,0,0,PS,1999-08-02,10:00:00,10:00:04,4,10:00:04,10:00:04,0,HANG,0:00:00,0:00:00,0,NO_SERVER",
]


def trace_text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


# --- reading -----------------------------------------------------------------------------------------------------


def test_a_good_file_becomes_calls_queues_agents_and_shifts() -> None:
    trace = read_trace(trace_text(*ROWS))
    facts = trace.facts
    assert facts.queued == 4  # rows 2, 3, 6 and 7 (the phantom dropped)
    assert facts.abandoned == 2
    assert facts.abandon_rate == 0.5
    assert facts.answered_at_once == 1
    assert facts.phantom == 1
    assert facts.rows == 7
    assert facts.types == ("NW", "PS")
    assert facts.agents == 2
    assert [c.at for c in trace.calls] == [
        9 * 3600 + 11,  # answered at once: when the agent picked up
        9 * 3600 + 60 + 5,
        9 * 3600 + 120 + 6,
        86_400 + 5,  # after midnight: the 2nd
        86_400 + 10 * 3600 + 4,
    ]
    assert {q.name for q in trace.config.queues} == {"NW", "PS"}
    skills = {a.name: set(a.skills) for a in trace.config.agents}
    assert skills == {"AVI": {"ps", "nw"}, "SHARON": {"ps"}}
    assert trace.config.shifts  # availability was rebuilt from the services
    avi = next(a.id for a in trace.config.agents if a.name == "AVI")
    avi_blocks = [(b.start, b.end) for b in trace.config.shifts if b.agent_id == avi]
    assert (86_400 + 60, 86_400 + 180) in avi_blocks  # the call served after midnight


def test_arrivals_keep_exact_patience_of_those_who_hung_up_and_bound_the_others() -> None:
    trace = read_trace(trace_text(*ROWS))
    for seed in range(5):
        arrivals = trace.arrivals(seed)
        assert len(arrivals) == 5
        by_at = {a.at: a for a in arrivals}
        assert by_at[9 * 3600 + 126].patience == 45  # hung up after 45 s
        assert by_at[86_400 + 10 * 3600 + 4].patience == 0  # hung up at once
        assert by_at[9 * 3600 + 65].patience > 30  # served after 30 s: patience above it
        assert by_at[9 * 3600 + 65].handle == 160
        assert by_at[9 * 3600 + 126].handle == 120  # drawn among the served NW calls (one)
        assert by_at[9 * 3600 + 65].vip and not by_at[9 * 3600 + 126].vip


def test_the_file_header_may_have_other_columns_and_case() -> None:
    text = trace_text(*ROWS).replace("type,date", "TYPE,Date").replace("server\n", "server,extra\n", 1)
    text = "\n".join(line + ",x" if i else line for i, line in enumerate(text.splitlines())) + "\n"
    assert read_trace(text).facts.queued == 4


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (ROWS[1].replace("9:01:05,9:01:35", "9:61:05,9:01:35"), "q_start"),
        (ROWS[1].replace("1999-08-01", "1999-13-01"), "date"),
        (ROWS[1].replace(",30,AGENT", ",-30,AGENT"), "q_time"),
        (ROWS[1].replace(",30,AGENT", ",1e9,AGENT"), "q_time"),
        (ROWS[1].replace(",30,AGENT", ",99999999,AGENT"), "q_time"),
        (ROWS[1].replace(",160,AVI", ",NaN,AVI"), "ser_time"),
        (ROWS[1].replace("AGENT", "MAYBE"), "outcome"),
        (ROWS[1].replace(",2,PS,", ",7,PS,"), "priority"),
        (ROWS[1].replace(",PS,", ",P S;DROP,"), "type"),
        (ROWS[1].replace("9:01:00", "25:01:00"), "vru_entry"),
        (ROWS[1].replace("9:01:00", "9:01"), "vru_entry"),
        (ROWS[1].replace("AVI", "A" * 41), "server"),
        (ROWS[1].replace("AVI", "A" * 100), "file"),
        (ROWS[1].rsplit(",", 1)[0], "file"),  # a column short
        (ROWS[1] + ",x,y", "file"),  # too many
    ],
)
def test_a_malformed_line_is_refused_with_its_number(row: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_trace(trace_text(ROWS[0], row))
    assert caught.value.detail.startswith("line 3:"), caught.value.detail
    assert caught.value.field == field


def test_missing_columns_and_empty_files_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="q_start"):
        read_trace("type,date,vru_entry,vru_exit,q_time,outcome,ser_start,ser_time\n")
    with pytest.raises(ValidationFailed, match="no call"):
        read_trace(trace_text())
    with pytest.raises(ValidationFailed, match="no call"):
        read_trace(trace_text(ROWS[3]))  # only a VRU hang-up
    with pytest.raises(ValidationFailed):
        read_trace("")


def test_a_trace_longer_than_the_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulation, "MAX_TRACE_ROWS", 5)
    with pytest.raises(ValidationFailed, match="line 7: more than 5 calls"):
        read_trace(trace_text(*ROWS))


def test_hostile_bytes_do_not_get_through() -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_trace(trace_text(ROWS[0], ROWS[1].replace("PS", "P\x00S")))
    assert caught.value.field == "type"
    with pytest.raises(ValidationFailed, match="line 2"):
        read_trace(trace_text('"AA01' + "x" * 10_000 + '",' + ROWS[0].split(",", 1)[1]))


# --- patience ----------------------------------------------------------------------------------------------------


def test_kaplan_meier_matches_a_hand_computation_and_draws_above_the_wait() -> None:
    # waits 10 (hung up), 20 (served), 30 (hung up), 40 (served)
    km = KaplanMeier.fit([10, 20, 30, 40], [True, False, True, False])
    assert km.times.tolist() == [10, 30]
    assert km.survival.tolist() == pytest.approx([0.75, 0.75 * 0.5])
    assert km.above(5) == 1.0 and km.above(25) == 0.75 and km.above(35) == pytest.approx(0.375)
    rng = np.random.default_rng(1)
    draws = km.draw_above(np.full(10_000, 20.0), rng.random(10_000))
    assert set(np.unique(draws).tolist()) == {30.0, math.inf}  # above 20 s: 30 s or beyond the data
    assert np.mean(draws == 30.0) == pytest.approx(0.5, abs=0.02)  # P(T = 30 | T > 20) = 0.375 / 0.75


# --- the August 1999 validation ----------------------------------------------------------------------------------

REPLICATIONS = 4
# The observed rate is itself a sample: 7,309 of 25,701 queued calls, a binomial 95% half-width of
# 1.96 * sqrt(p (1 - p) / n) = 0.0055. The replay passes when its 95% interval and the observed one
# overlap: |simulated - observed| <= half-width(simulated) + half-width(observed).


@pytest.mark.skipif(not AUGUST.is_file(), reason=f"anonymous-bank data not found at {AUGUST} (set HELPLINE_DATASETS)")
def test_the_august_1999_replay_reproduces_the_abandonment_of_queued_calls() -> None:
    started = time.perf_counter()
    with AUGUST.open(newline="") as stream:
        trace = read_trace(stream)
    facts = trace.facts
    assert (facts.rows, facts.queued, facts.abandoned, facts.phantom) == (42_078, 25_701, 7_309, 310)
    assert round(facts.abandon_rate, 3) == 0.284  # the figure
    figures = replicate(trace, range(1, REPLICATIONS + 1))
    observed = facts.abandon_rate
    observed_half = 1.96 * math.sqrt(observed * (1 - observed) / facts.queued)
    elapsed = time.perf_counter() - started
    print(
        f"\nAugust 1999 replay: abandonment among queued calls {figures.mean:.4f} +/- {figures.half_width:.4f} "
        f"(95%, {REPLICATIONS} replications) vs observed {observed:.4f} +/- {observed_half:.4f}; "
        f"runs {[round(r, 4) for r in figures.runs]}; {figures.calls:,} calls in {figures.seconds:.1f} s "
        f"({figures.calls_per_second:,.0f} calls/s); test {elapsed:.1f} s"
    )
    assert abs(figures.mean - observed) <= figures.half_width + observed_half
    assert figures.half_width < 0.01  # the replications agree: the interval says something


@pytest.mark.skipif(not AUGUST.is_file(), reason=f"anonymous-bank data not found at {AUGUST} (set HELPLINE_DATASETS)")
def test_a_replay_is_reproducible_from_its_seed() -> None:
    with AUGUST.open(newline="") as stream:
        head = "".join(stream.readline() for _ in range(4_000))
    trace = read_trace(head)
    first, again, other = replay(trace, 7), replay(trace, 7), replay(trace, 8)
    assert first.totals == again.totals
    assert first.calls == len(trace.calls)
    assert first.totals.offered == len(trace.calls)
    assert 0 < queued_abandon_rate(first) < 1
    assert other.totals.abandoned != first.totals.abandoned or other.totals.asa != first.totals.asa
