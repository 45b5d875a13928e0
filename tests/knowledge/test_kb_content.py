"""The bundled knowledge base: every article encoded, every claim reachable, safety first."""

from __future__ import annotations

import re

import pytest

from expert.engine import Reasoner
from knowledge import KnowledgeBase, Profile
from knowledge.satisfy import firing_answers
from knowledge.schema import Gap

#: Minimum claims per source: the long articles hold well over twenty, 002 about ten.
MINIMUM_CLAIMS = {
    "rodmell": 20,
    "steve": 40,
    "cramp-after-running": 10,
    "david-d": 30,
    "spryng": 30,
    "safety-net": 10,
}
#: Words that mark a piece of advice as telling the runner to drink.
DRINKING = re.compile(r"\b(drink|drinking|hydrat\w*|water|fluid)\b", re.IGNORECASE)
STOP_MEDICINE = re.compile(
    r"\b(stop|stopping|quit|discontinue|cease|come off|skip)\b[^.]*"
    r"\b(medic\w*|tablets?|pills?|drugs?|statins?|diuretics?|inhalers?)\b",
    re.IGNORECASE,
)


def test_every_article_and_the_safety_net_are_sources(kb: KnowledgeBase) -> None:
    seeds = {s.id: s.seed for s in kb.sources.values()}
    assert seeds == {
        "rodmell": "000_29b4178a72f6b3d6.txt",
        "steve": "001_61b81324f7805133.txt",
        "cramp-after-running": "002_9ca3cd5f80fae99d.txt",
        "david-d": "003_dbfee38b5b7fc1bd.txt",
        "spryng": "004_3297ddfa4d16ec54.txt",
        # Summaries of public pages, never quotes: nothing to check against a seed.
        "safety-net": None,
    }


@pytest.mark.parametrize("source_id", sorted(MINIMUM_CLAIMS))
def test_each_source_is_encoded_claim_by_claim(kb: KnowledgeBase, source_id: str) -> None:
    assert len(kb.sources[source_id].claims) >= MINIMUM_CLAIMS[source_id]


def test_declared_bias_is_kept_for_the_product_maker_and_the_coaching_sellers(
    kb: KnowledgeBase,
) -> None:
    spryng = kb.sources["spryng"]
    assert spryng.kind == "product_maker"
    assert "compression" in (spryng.bias or "")
    for coach in ("rodmell", "cramp-after-running"):
        assert "coaching" in (kb.sources[coach].bias or "")


def test_the_safety_net_is_public_health_guidance_citing_its_pages(kb: KnowledgeBase) -> None:
    net = kb.sources["safety-net"]
    assert net.kind == "public_health"
    assert {p.url.split("/")[2] for p in net.pages if p.url} >= {"www.nhs.uk", "www.nhsinform.scot"}
    pages = {p.id for p in net.pages}
    for claim in net.claims:
        assert claim.evidence == "public_health"
        # Shown as a summary of the page it names, never as a quotation of our notes.
        assert claim.quote is None
        assert claim.summary
        assert claim.pages
        assert set(claim.pages) <= pages


def test_every_claim_fires_for_some_runner(kb: KnowledgeBase) -> None:
    reasoner = Reasoner.for_kb(kb)
    never = []
    for claim_id in kb.claims:
        answers = firing_answers(kb, claim_id)
        if answers is None or claim_id not in reasoner.run(Profile(answers)).fired_claims:
            never.append(claim_id)
    assert never == []


def test_every_question_is_tested_by_some_claim(kb: KnowledgeBase) -> None:
    assert [q for q, claims in kb.questions_used.items() if not claims] == []


def test_questions_about_the_night_are_asked_only_of_runners_with_night_cramps(
    kb: KnowledgeBase,
) -> None:
    for qid in ("bedding", "toes_pointed_sleeping"):
        assert kb.questions[qid].ask_if == {"cramp_timing": "night"}


def test_the_source_that_hedges_on_dehydration_is_encoded_as_hedged(kb: KnowledgeBase) -> None:
    claim = kb.claims["steve-dehydration-hedged"]
    assert claim.stance == "hedged"
    assert "haven’t definitively linked" in claim.quote


def test_the_salt_balance_argument_is_a_dispute_with_its_reason(kb: KnowledgeBase) -> None:
    claim = kb.claims["rodmell-salt-body-wide"]
    assert (claim.theory, claim.stance) == ("electrolyte_imbalance", "disputes")
    assert "body-wide" in (claim.reason or "")


def test_no_advice_tells_anyone_to_stop_a_medicine(kb: KnowledgeBase) -> None:
    for advice in kb.advice.values():
        assert not STOP_MEDICINE.search(advice.text), advice.id
        if re.search(r"\bmedic(ine|ation)", advice.text, re.IGNORECASE):
            assert "doctor" in advice.text, advice.id


def test_a_medicine_suspected_of_causing_cramps_is_a_referral_to_the_doctor(
    kb: KnowledgeBase,
) -> None:
    claim = kb.claims["steve-medication-alternatives"]
    assert (claim.kind, claim.triage) == ("referral", "see_doctor")
    assert "speak to your doctor" in claim.quote


def test_the_hyponatraemia_red_flag_withholds_every_piece_of_advice_about_drinking(
    kb: KnowledgeBase,
) -> None:
    flag = kb.claims["safety-hyponatraemia"]
    assert flag.triage == "emergency"
    # The red flag rests on the low-blood-sodium finding, which builds on the symptoms
    # finding; between them they withhold every piece of advice about drinking.
    finding = kb.findings["possible_hyponatraemia"]
    sources = {"possible_hyponatraemia", *kb.implied_findings("possible_hyponatraemia")}
    tags = {t for f in sources for g in kb.findings[f].withholds for t in g.tags}
    withheld = {a.id for a in kb.advice.values() if tags & set(a.acts_on)}
    about_drinking = {a.id for a in kb.advice.values() if DRINKING.search(a.text)}
    assert about_drinking and finding.warning_sign
    assert about_drinking <= withheld


def test_article_referrals_carry_triage_tiers_faithful_to_their_wording(
    kb: KnowledgeBase,
) -> None:
    tiers = {cid: kb.claims[cid].triage for cid in kb.claims}
    assert tiers["spryng-grade-two"] == "see_doctor"  # "seek medical assistance"
    assert tiers["spryng-grade-three"] == "urgent"  # "seek immediate medical attention"
    assert tiers["steve-consult-doctor-disruptive"] == "see_doctor"
    assert tiers["dd-lingering-see-doctor"] == "see_doctor"
    assert tiers["rodmell-regular-see-physician"] == "see_doctor"
    assert tiers["cap-last-resort-professionals"] == "self_care"  # coach, physio, dietitian


def test_gaps_announced_but_never_filled_are_recorded_not_invented(kb: KnowledgeBase) -> None:
    announced = {g.quote for g in kb.sources["steve"].gaps}
    assert "Seek immediate medical attention if your cramps are accompanied by:" in announced
    assert "They can assess whether the cramps are linked to:" in announced
    assert "So, to stay adequately hydrated:" in announced
    assert "Key takeaways include:" in announced
    # The missing list of urgent signs is not filled in from this article.
    assert not any(
        kb.source_of(c.id).id == "steve" and c.kind == "red_flag" for c in kb.claims.values()
    )


def test_a_gap_is_written_as_plain_text_or_as_a_quoted_announcement() -> None:
    gap = Gap.model_validate({"quote": "Key takeaways include:", "missing": "No list follows."})
    assert str(gap) == "“Key takeaways include:” No list follows."
    plain = Gap.model_validate("The overview is missing.")
    assert (plain.quote, str(plain)) == (None, "The overview is missing.")


def test_every_quote_is_short(kb: KnowledgeBase) -> None:
    assert max(len(c.quote) for c in kb.claims.values() if c.quote is not None) <= 400
