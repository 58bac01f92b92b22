"""Language matching on the primary subtag, and relaxation to any agent with an interpreter flag."""

from __future__ import annotations

from helpline.domain.routing.model import EffectKind, Presence
from helpline.domain.routing.records import primary_language

from .builders import T0, agent, kinds, offers, only_offer, queue, router, work


def test_primary_subtag() -> None:
    assert primary_language("fr-CA") == "fr"
    assert primary_language("PT_br") == "pt"
    assert primary_language("") is None
    assert primary_language(None) is None


def test_regional_tags_match_the_primary_language() -> None:
    r = router(queue(1, "chat"), agents=[agent(1, languages=["en"]), agent(2, languages=["fr-FR"])])
    offer = only_offer(r.enqueue(work(10, language="fr-CA"), T0))
    assert offer.agent_id == 2
    assert offer.explanation is not None
    assert not offer.explanation.interpreter_needed
    assert {p.id: p.reason for p in offer.explanation.passed_over} == {1: "does not speak fr"}


def test_queue_language_applies_when_the_item_has_none() -> None:
    r = router(queue(1, "chat", language="de"), agents=[agent(1, languages=["en"])])
    assert offers(r.enqueue(work(10), T0)) == []


def test_language_is_relaxed_after_the_wait_with_interpreter_needed() -> None:
    r = router(queue(1, "chat", language_wait_seconds=45), agents=[agent(1, languages=["en"])])
    assert offers(r.enqueue(work(10, language="fr"), T0)) == []
    effects = r.tick(T0 + 45)
    assert kinds(effects) == [EffectKind.RELAXED, EffectKind.OFFERED]
    assert effects[0].detail == "language fr -> any after 45 s"
    explanation = effects[1].explanation
    assert explanation is not None
    assert explanation.interpreter_needed
    assert explanation.relaxed == ("language fr -> any after 45 s",)
    assert explanation.reason.endswith(", interpreter needed")


def test_speaker_preferred_over_interpreter_when_both_are_free() -> None:
    r = router(queue(1, "chat", language_wait_seconds=0), agents=[agent(1, languages=["en"])])
    r.set_agent(agent(2, languages=["fr"]), T0)
    r.set_presence(2, Presence.AVAILABLE, T0 + 5)  # agent 1 is idle longer
    offer = only_offer(r.enqueue(work(10, T0 + 6, language="fr"), T0 + 6))
    assert offer.agent_id == 2
    assert offer.explanation is not None
    assert not offer.explanation.interpreter_needed
