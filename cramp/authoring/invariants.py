"""The knowledge base's invariants: properties every generated runner must satisfy.

Each :class:`Invariant` pairs a Hypothesis strategy of examples (runners, or a runner
and a variation of it) with a check that raises :class:`Violation` naming the runner
that breaks it. Some also search the knowledge base exhaustively first (every claim,
every question). :mod:`cramp.authoring.invariant_suite` runs them for ``cramp kb test`` and for
pytest. The checks read the engine's results, the diagnosis, its text and JSON output
and the derivation graph, which is why they live here, above :mod:`expert`.

What a check compares against is worked out from the knowledge base's own condition
semantics (:func:`knowledge.conditions.holds_all` on :meth:`KnowledgeBase.applicable`
answers), not from the engine, so an engine bug and a content bug both show.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from cramp.authoring.runners import profiles, red_flag_claims, reorderings
from expert import conclusions
from expert.engine import Reasoner, Run
from knowledge import Condition, KnowledgeBase, Profile
from knowledge.conditions import FindingTest, holds_all
from knowledge.safety_words import DRINKING, STOP_MEDICINE, stops_a_medicine
from knowledge.satisfy import pins, satisfying_answers
from knowledge.vocabulary import TIERS


@dataclass(frozen=True)
class Runner:
    """A runner shown in a failure: a label and the profile, ready to save as YAML."""

    label: str
    profile: Profile
    #: Print the answers in the order the profile gives them (else sorted by question).
    ordered: bool = False

    def to_yaml(self) -> str:
        """The profile in profile format; ``cramp diagnose`` and ``cramp explain`` read it."""
        return profile_yaml(self.profile, ordered=self.ordered)


class Violation(AssertionError):
    """An invariant does not hold: what is wrong, for which runners, and what to explain."""

    def __init__(
        self, message: str, runners: Sequence[Runner] = (), *, item: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.runners = tuple(runners)
        #: A conclusion ``cramp explain`` can explain for the first runner.
        self.item = item


def profile_yaml(profile: Profile, *, ordered: bool = False) -> str:
    """A profile as YAML in profile format (yes/no, lists in brackets, ``unknown``)."""
    data = profile.to_data()
    if ordered:
        keys: list[str] = [k for k in ("name", "notes") if k in data]
        keys += [q for q in profile.answers if q in data]
        keys += sorted(set(data) - set(keys))
        data = {k: data[k] for k in keys}
    if not data:
        return "{}  # no answers\n"
    lines = []
    for key, value in data.items():
        lines.append(f"{key}: {_yaml_value(key, value)}")
    return "\n".join(lines) + "\n"


def _yaml_value(key: str, value: Any) -> str:
    if key in ("name", "notes"):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML string
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Context:
    """One knowledge base and the engines the checks share (built once, reused)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    @cached_property
    def reasoner(self) -> Reasoner:
        """The experta engine for this knowledge base."""
        return Reasoner.for_kb(self.kb)

    @cached_property
    def clips(self) -> Any:
        """The independent CLIPS engine (needs clipspy)."""
        from cramp.authoring.clips import ClipsReasoner

        return ClipsReasoner(self.kb)

    def run(self, profile: Profile) -> Run:
        """Run the experta engine."""
        return self.reasoner.run(profile)

    def diagnose(self, profile: Profile) -> tuple[Run, conclusions.Diagnosis]:
        """Run the engine and conclude."""
        run = self.run(profile)
        return run, conclusions.diagnose_run(self.kb, run)

    def holding(self, profile: Profile) -> frozenset[str]:
        """Claims whose conditions hold on the answers the engine keeps (the semantics)."""
        kept = self.kb.applicable(profile.answers)
        found = self.kb.holding_findings(kept)
        return frozenset(
            c for c, conds in self.kb.conditions.items() if holds_all(conds, kept, found)
        )

    def findings(self, profile: Profile) -> frozenset[str]:
        """Findings whose clauses hold on the answers the engine keeps (the semantics)."""
        return self.kb.holding_findings(self.kb.applicable(profile.answers))

    def withheld(self, profile: Profile) -> dict[str, set[str]]:
        """Advice the holding findings withhold, each with the findings that withhold it."""
        out: dict[str, set[str]] = {}
        for fid in self.findings(profile):
            for group in self.kb.findings[fid].withholds:
                for tag in group.tags:
                    for advice_id in self.kb.advice_by_tag.get(tag, ()):
                        out.setdefault(advice_id, set()).add(fid)
        return out

    @cached_property
    def witnesses(self) -> Mapping[str, dict[str, Any] | None]:
        """For each claim, the smallest answers that make it hold, or None."""
        return {c: satisfying_answers(self.kb, conds) for c, conds in self.kb.conditions.items()}

    @cached_property
    def fireable(self) -> tuple[str, ...]:
        """Claims some runner can make fire (by search)."""
        return tuple(c for c, w in self.witnesses.items() if w is not None)

    def item_of(self, claim_id: str) -> str:
        """What ``cramp explain`` can explain about a claim: its theory, advice, or triage."""
        claim = self.kb.claims[claim_id]
        if claim.triage is not None:
            return "triage"
        return claim.theory or claim.advice or "triage"


@dataclass(frozen=True)
class Invariant:
    """A property of the knowledge base, checked over generated runners."""

    name: str
    title: str
    #: Examples to check, for a knowledge base; None for a search-only invariant.
    examples: Callable[[Context], st.SearchStrategy[Any]] | None
    check: Callable[[Context, Any], None] | None
    #: An exhaustive search run before the examples (every claim, every question).
    search: Callable[[Context], int] | None = None
    #: An optional package the invariant needs ("clips"); skipped without it.
    needs: str | None = None


_REGISTERED: list[Invariant] = []


def _register(invariant: Invariant) -> None:
    _REGISTERED.append(invariant)


def _rank(tier: str) -> int:
    return TIERS.index(tier)


def _overlay(profile: Profile, answers: Mapping[str, Any]) -> Profile:
    """The profile with these answers given (replacing any unknown or other answer)."""
    return Profile(
        {**profile.answers, **answers},
        profile.unknown - set(answers),
        profile.name,
        profile.notes,
    )


def _runner(profile: Profile) -> list[Runner]:
    return [Runner("Minimal runner", profile)]


# --- every recommendation cites a claim with a source and a verbatim quote -------------


def _cites_its_words(kb: KnowledgeBase, ref: Any) -> bool:
    """An article's verbatim quote, or a public page's summary naming that page."""
    claim = kb.claims[ref.id]
    if claim.quote is not None:
        return bool(ref.quote and ref.quote.strip()) and ref.quote == claim.quote
    return bool(ref.summary and ref.summary.strip() and ref.pages) and ref.summary == claim.summary


def _check_citations(ctx: Context, profile: Profile) -> None:
    kb = ctx.kb
    _run, diagnosis = ctx.diagnose(profile)
    for item in diagnosis.advice:
        cited = [
            ref
            for ref in item.claims
            if ref.id in kb.claims
            and ref.stance != "disputes"
            and ref.source == kb.claim_source[ref.id]
            and ref.source_title.strip()
            and _cites_its_words(kb, ref)
        ]
        if not cited:
            raise Violation(
                f"advice {item.id!r} ({item.title}) is recommended without citing a claim "
                "with its source and verbatim quote",
                _runner(profile),
                item=item.id,
            )


_register(
    Invariant(
        "recommendations-cite-sources",
        "Every recommendation cites at least one claim with a source and a verbatim quote",
        lambda ctx: profiles(ctx.kb),
        _check_citations,
    )
)


# --- any red-flag answer yields its referral, first ------------------------------------


def _check_referral_first(ctx: Context, profile: Profile) -> None:
    kb = ctx.kb
    _run, diagnosis = ctx.diagnose(profile)
    runners = _runner(profile)
    cited = {ref.id for ref in diagnosis.triage.claims}
    withheld = {w.id for w in diagnosis.withheld}
    recommended = {a.id for a in diagnosis.advice}
    for claim_id in sorted(ctx.holding(profile)):
        claim = kb.claims[claim_id]
        if claim.triage is None:
            continue
        if _rank(diagnosis.triage.tier) > _rank(claim.triage):
            raise Violation(
                f"claim {claim_id!r} holds and sets the tier {claim.triage}, but the triage "
                f"level is {diagnosis.triage.tier}",
                runners,
                item="triage",
            )
        if claim.kind == "red_flag" and not diagnosis.triage.is_referral:
            raise Violation(
                f"the red flag {claim_id!r} holds, but the runner is not referred to a "
                f"professional (triage level {diagnosis.triage.tier})",
                runners,
                item="triage",
            )
        if claim_id not in cited:
            raise Violation(
                f"claim {claim_id!r} holds but the triage does not cite it", runners, item="triage"
            )
        referral = claim.advice if claim.stance != "disputes" else None
        if referral and referral not in withheld and referral not in recommended:
            raise Violation(
                f"claim {claim_id!r} holds but its referral {referral!r} is not recommended",
                runners,
                item=referral,
            )
    if not cited:
        return
    from explain.render import render_text

    text = render_text(diagnosis, title=kb.manifest.title)
    start = text.find("TRIAGE:")
    later = [text.find(h) for h in ("LIKELY CAUSES", "WHAT TO DO", "WHERE THE SOURCES")]
    later = [i for i in later if i >= 0]
    if start < 0 or any(i < start for i in later):
        raise Violation("the text output does not put the triage first", runners, item="triage")
    section = text[start : min(later)] if later else text[start:]
    missing = sorted(c for c in cited if f"[{c}]" not in section)
    if missing:
        raise Violation(
            f"the text output's triage section does not list {', '.join(missing)}",
            runners,
            item="triage",
        )
    first = next(iter(json.loads(json.dumps(diagnosis.to_dict()))))
    if first != "triage":
        raise Violation(
            f"the JSON output starts with {first!r}, not the triage", runners, item="triage"
        )


_register(
    Invariant(
        "red-flags-refer-first",
        "Any red-flag answer yields its referral, first in text and JSON output",
        lambda ctx: profiles(ctx.kb, red_flags=True),
        _check_referral_first,
    )
)


# --- adding a red flag never lowers the triage level -----------------------------------


def _with_red_flag(kb: KnowledgeBase, profile: Profile, flag: str) -> Profile | None:
    """The runner with the red flag's answers added, changing none of theirs, or None."""
    kept = kb.applicable(profile.answers)
    added = satisfying_answers(kb, [*kb.conditions[flag], *pins(kb, kept)])
    if added is None:
        return None
    for qid, value in added.items():
        if qid in profile.answers and qid not in kept and profile.answers[qid] != value:
            return None  # it would change an answer that had been set aside
    return _overlay(profile, added)


def _red_flag_additions(ctx: Context) -> st.SearchStrategy[tuple[Profile, str, Profile]]:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[Profile, str, Profile]:
        # Adding a warning sign to a runner who already has one is where they can clash.
        base = draw(st.one_of(profiles(ctx.kb), profiles(ctx.kb, red_flags=True)))
        flag = draw(st.sampled_from([f for f in red_flag_claims(ctx.kb) if f in ctx.fireable]))
        added = _with_red_flag(ctx.kb, base, flag)
        if added is None:
            reject()
        return base, flag, added

    return build()


def _check_never_lower(ctx: Context, example: tuple[Profile, str, Profile]) -> None:
    base, flag, added = example
    before = ctx.diagnose(base)[1].triage.tier
    after = ctx.diagnose(added)[1].triage.tier
    wanted = min(_rank(before), _rank(ctx.kb.claims[flag].triage or "self_care"))
    if _rank(after) > wanted:
        raise Violation(
            f"adding the red flag {flag!r} changes the triage level from {before} to {after}",
            [
                Runner("Minimal runner, with the red flag added", added),
                Runner("The same runner before the red flag", base),
            ],
            item="triage",
        )


_register(
    Invariant(
        "red-flags-never-lower-triage",
        "Adding a red flag never lowers the triage level",
        _red_flag_additions,
        _check_never_lower,
    )
)


# --- both sides of a disagreement are shown ---------------------------------------------


def _opposed_pairs(ctx: Context) -> list[tuple[str, str, dict[str, Any]]]:
    """Pairs of claims on opposite sides, with answers under which both hold."""
    kb = ctx.kb
    sides: list[tuple[Iterable[str], Iterable[str]]] = []
    for claims in kb.claims_by_theory.values():
        sides.append(
            (
                [c.id for c in claims if c.stance != "disputes"],
                [c.id for c in claims if c.stance == "disputes"],
            )
        )
    for advice_id, claims in kb.claims_by_advice.items():
        backing = [c.id for c in claims if c.stance != "disputes"]
        sides.append((backing, [c.id for c in claims if c.stance == "disputes"]))
        for conflict in kb.conflicts.values():
            if conflict.between[0] == advice_id:
                other = kb.claims_by_advice[conflict.between[1]]
                sides.append((backing, [c.id for c in other if c.stance != "disputes"]))
    pairs = []
    for left, right in sides:
        for a in left:
            for b in right:
                both = satisfying_answers(kb, [*kb.conditions[a], *kb.conditions[b]])
                if both is not None:
                    pairs.append((a, b, both))
    return pairs


def _meeting_both_sides(ctx: Context) -> st.SearchStrategy[Profile]:
    pairs = _opposed_pairs(ctx)
    if not pairs:
        return profiles(ctx.kb)
    return st.one_of(
        profiles(ctx.kb),
        st.tuples(profiles(ctx.kb), st.sampled_from(pairs)).map(
            lambda drawn: _overlay(drawn[0], drawn[1][2])
        ),
    )


def _check_both_sides(ctx: Context, profile: Profile) -> None:
    kb = ctx.kb
    _run, diagnosis = ctx.diagnose(profile)
    runners = _runner(profile)
    holding = ctx.holding(profile)
    shown = {c.id: c for c in diagnosis.conflicts}
    for theory_id, claims in kb.claims_by_theory.items():
        # A dispute with a scope that does not hold is shown beside a theory the runner is
        # offered (by any claim, general ones included).
        offered = any(c.id in holding and c.stance != "disputes" for c in claims)
        pro = {c.id for c in claims if c.id in holding and c.stance != "disputes"}
        con = {c.id for c in claims if c.id in holding and c.stance == "disputes"}
        con |= {
            c.id
            for c in claims
            if c.stance == "disputes" and c.scope and offered and c.id not in holding
        }
        if not (pro and con):
            continue
        conflict = shown.get(f"theory:{theory_id}")
        got = [{r.id for r in s.claims} for s in conflict.sides] if conflict else []
        if got != [pro, con]:
            raise Violation(
                f"claims for ({', '.join(sorted(pro))}) and against "
                f"({', '.join(sorted(con))}) the theory {theory_id!r} apply, but the "
                "disagreement is not shown with both sides",
                runners,
                item=theory_id,
            )
    withheld = set(ctx.withheld(profile))
    advice = {a.id: a for a in diagnosis.advice}
    shown_withheld = {w.id for w in diagnosis.withheld}

    def backed(advice_id: str) -> set[str]:
        return {
            c.id
            for c in kb.claims_by_advice[advice_id]
            if c.id in holding and c.stance != "disputes"
        }

    for clash in kb.conflicts.values():
        a, b = clash.between
        if not (backed(a) and backed(b)):
            continue
        for side in (a, b):
            if side in withheld and side not in shown_withheld:
                raise Violation(
                    f"{side!r} (one side of {clash.id!r}) is withheld but not shown as such",
                    runners,
                    item=side,
                )
            if side not in withheld and side not in advice:
                raise Violation(
                    f"{side!r} (one side of {clash.id!r}) applies but is not shown",
                    runners,
                    item=side,
                )
        if a not in withheld and b not in withheld:
            item = shown.get(f"advice:{clash.id}")
            if item is None or {s.item for s in item.sides} != {a, b}:
                raise Violation(
                    f"both sides of the conflict {clash.id!r} ({a}, {b}) apply, but the "
                    "conflict is not shown",
                    runners,
                    item=a,
                )
    for advice_id, claims in kb.claims_by_advice.items():
        against = {c.id for c in claims if c.id in holding and c.stance == "disputes"}
        if not against or not backed(advice_id) or advice_id in withheld:
            continue
        disputed = {r.id for r in advice[advice_id].disputed_by} if advice_id in advice else None
        if disputed != against:
            raise Violation(
                f"advice {advice_id!r} is recommended and disputed by "
                f"{', '.join(sorted(against))}, but the dispute is not shown",
                runners,
                item=advice_id,
            )


_register(
    Invariant(
        "conflicts-show-both-sides",
        "When claims on both sides of a theory or of an advice conflict apply, both are shown",
        _meeting_both_sides,
        _check_both_sides,
    )
)


# --- an unknown answer never fires a claim that needs it -------------------------------


def _with_an_unknown(ctx: Context) -> st.SearchStrategy[Profile]:
    conditional = [c for c in ctx.fireable if _needed_questions(ctx.kb, c)]

    @st.composite
    def build(draw: st.DrawFn) -> Profile:
        claim = draw(st.sampled_from(conditional))
        profile = draw(profiles(ctx.kb, satisfying=claim))
        question = draw(st.sampled_from(sorted(_needed_questions(ctx.kb, claim))))
        answers = {q: v for q, v in profile.answers.items() if q != question}
        return Profile(answers, profile.unknown | {question}, profile.name, profile.notes)

    if not conditional:
        return profiles(ctx.kb)
    return st.one_of(profiles(ctx.kb), build())


def _needed_questions(kb: KnowledgeBase, claim_id: str) -> set[str]:
    """Questions a claim needs answered: its positive answer conditions.

    An ``unless`` test needs no answer, and a finding may be reached through any of its
    clauses, so neither names a question the claim cannot do without.
    """
    return {
        c.question
        for c in kb.conditions[claim_id]
        if isinstance(c, Condition) and not c.holds_unanswered
    }


def _check_unknown_never_fires(ctx: Context, profile: Profile) -> None:
    run = ctx.run(profile)
    for claim_id in sorted(run.fired_claims):
        needed = _needed_questions(ctx.kb, claim_id)
        unknown = sorted(needed & profile.unknown)
        missing = sorted(needed - set(run.answers) - profile.unknown)
        if unknown or missing:
            what = (
                f"{', '.join(unknown)} answered unknown"
                if unknown
                else f"no answer kept for {', '.join(missing)}"
            )
            raise Violation(
                f"claim {claim_id!r} fired with {what}",
                _runner(profile),
                item=ctx.item_of(claim_id),
            )


_register(
    Invariant(
        "unknown-never-fires",
        "A claim whose condition uses a fact answered unknown never fires",
        _with_an_unknown,
        _check_unknown_never_fires,
    )
)


# --- results do not depend on the order of answers -------------------------------------


def _reordered(ctx: Context) -> st.SearchStrategy[tuple[Profile, Profile]]:
    return profiles(ctx.kb).flatmap(lambda p: st.tuples(st.just(p), reorderings(p)))


def _check_order(ctx: Context, example: tuple[Profile, Profile]) -> None:
    first, shuffled = example
    # The reverse order flips every pair of answers, so a bug that depends on which of
    # two answers comes first shows in one of the two comparisons.
    reverse = Profile(
        dict(reversed(list(first.answers.items()))), first.unknown, first.name, first.notes
    )
    for other in (shuffled, reverse):
        differences = _order_differences(ctx, first, other)
        if differences:
            raise Violation(
                f"giving the same answers in another order changes {', '.join(differences)}",
                [
                    Runner("Minimal runner", first, ordered=True),
                    Runner("The same answers in another order", other, ordered=True),
                ],
                item="triage",
            )


def _order_differences(ctx: Context, first: Profile, second: Profile) -> list[str]:
    from explain.render import render_text

    (run_a, d_a), (run_b, d_b) = ctx.diagnose(first), ctx.diagnose(second)
    differences = []
    if run_a.fired_claims != run_b.fired_claims:
        differences.append("the claims that fire")
    if run_a.facts != run_b.facts:
        differences.append("the derived facts")
    if run_a.trace != run_b.trace:
        differences.append("the trace")
    if d_a != d_b:
        differences.append("the diagnosis")
    title = ctx.kb.manifest.title
    if render_text(d_a, title=title) != render_text(d_b, title=title):
        differences.append("the text output")
    return differences


_register(
    Invariant(
        "order-independent",
        "Results do not depend on the order of answers",
        _reordered,
        _check_order,
    )
)


# --- the safety policy holds -----------------------------------------------------------


def _is_drinking(ctx: Context, advice_id: str) -> bool:
    advice = ctx.kb.advice[advice_id]
    return bool(DRINKING.search(f"{advice.title} {advice.text}"))


def _policy_witnesses(ctx: Context, only: Iterable[str] | None = None) -> list[tuple[str, Profile]]:
    """For each policy finding and each way it can hold, the smallest runner it holds for.

    ``only`` limits it to the policy's rules about those findings.

    Also, for each such way and each piece of advice the finding must withhold, a
    runner for whom a claim backing that advice holds too: the runner a missing or
    weakened withholding would harm.
    """
    from knowledge.satisfy import alternatives

    kb = ctx.kb
    out: list[tuple[str, Profile]] = []
    seen: set[tuple[str, tuple[tuple[str, Any], ...]]] = set()

    def add(finding: str, answers: dict[str, Any]) -> None:
        key = (finding, tuple(sorted(answers.items())))
        if key not in seen:
            seen.add(key)
            out.append((finding, Profile(answers)))

    wanted = None if only is None else set(only)
    for rule in kb.policy:
        if rule.finding not in kb.findings or (wanted is not None and rule.finding not in wanted):
            continue
        for clause in kb.finding_clauses[rule.finding]:
            for alternative in alternatives(kb, clause):
                found = satisfying_answers(kb, alternative)
                if found is None:
                    continue
                add(rule.finding, found)
                tags = set(rule.forbids) | set(rule.cautions)
                for advice in kb.advice.values():
                    if not tags & set(advice.acts_on):
                        continue
                    for claim in kb.claims_by_advice[advice.id]:
                        if claim.stance == "disputes":
                            continue
                        both = satisfying_answers(kb, [*alternative, *kb.conditions[claim.id]])
                        if both is not None:
                            add(rule.finding, both)
                            break
    return out


def policy_search(ctx: Context, only: Iterable[str] | None = None) -> int:
    """Check the safety policy on every way each of its findings can hold (``only``: the
    policy's rules about those findings); raise :class:`Violation` on the first runner
    that breaks it. What ``safety-rules-hold`` searches before its generated runners."""
    witnesses = _policy_witnesses(ctx, only)
    for _finding, profile in witnesses:
        _check_safety(ctx, profile)
    return len(witnesses)


def _search_policy(ctx: Context) -> int:
    return policy_search(ctx)


def _safety_examples(ctx: Context) -> st.SearchStrategy[Profile]:
    """Arbitrary runners, runners with a red flag, and the policy's own witnesses
    overlaid on arbitrary runners (a warning sign among other answers)."""
    kb = ctx.kb
    witnesses = [p.answers for _f, p in _policy_witnesses(ctx)]
    plain = st.one_of(profiles(kb), profiles(kb, red_flags=True))
    if not witnesses:
        return plain
    return st.one_of(
        plain,
        st.tuples(profiles(kb), st.sampled_from(witnesses)).map(lambda d: _overlay(d[0], d[1])),
    )


def _check_safety(ctx: Context, profile: Profile) -> None:
    """The safety policy holds for this runner, and no advice says to stop a medicine.

    For every policy finding that holds (by the conditions' own semantics): the engine
    derives it; the tier is at least the policy's; every red-flag claim about it sets at
    least that tier; no active advice carries a tag the policy forbids, and advice with a
    tag it cautions against carries the caution; and for a finding that forbids
    drinking, no active advice says to drink, whatever its tags.
    """
    kb = ctx.kb
    run, diagnosis = ctx.diagnose(profile)
    runners = _runner(profile)
    for advice in diagnosis.advice:
        said = f"{advice.title}. {advice.text}"
        stop = stops_a_medicine(said)
        if stop:
            raise Violation(
                f"advice {advice.id!r} tells the runner to stop a medicine "
                f"(“{stop}”); only their doctor can say that",
                runners,
                item=advice.id,
            )
    holding = ctx.findings(profile)
    claims = ctx.holding(profile)
    for rule in kb.policy:
        if rule.finding not in holding:
            continue
        title = kb.findings[rule.finding].title
        if rule.finding not in run.findings:
            raise Violation(
                f"finding {rule.finding!r} ({title}) holds for this runner, but the engine "
                "does not derive it",
                runners,
                item="triage",
            )
        if rule.min_tier and _rank(diagnosis.triage.tier) > _rank(rule.min_tier):
            raise Violation(
                f"finding {rule.finding!r} ({title}) holds and the safety policy requires at "
                f"least the tier {rule.min_tier}, but the triage level is "
                f"{diagnosis.triage.tier}",
                runners,
                item="triage",
            )
        if rule.min_tier:
            for claim_id in sorted(claims):
                claim = kb.claims[claim_id]
                about = {t.finding for t in kb.conditions[claim_id] if isinstance(t, FindingTest)}
                if (
                    claim.kind == "red_flag"
                    and rule.finding in about
                    and _rank(claim.triage or "self_care") > _rank(rule.min_tier)
                ):
                    raise Violation(
                        f"the red flag {claim_id!r} is about finding {rule.finding!r} "
                        f"({title}) but sets the tier {claim.triage}, below the safety "
                        f"policy's {rule.min_tier}",
                        runners,
                        item="triage",
                    )
        for advice in diagnosis.advice:
            forbidden = sorted(set(advice.acts_on) & set(rule.forbids))
            if forbidden:
                raise Violation(
                    f"advice {advice.id!r} ({advice.title}) acts on {', '.join(forbidden)}, "
                    f"which the safety policy forbids while finding {rule.finding!r} "
                    f"({title}) holds, yet it is given as something to do",
                    runners,
                    item=advice.id,
                )
            cautioned = set(advice.acts_on) & set(rule.cautions)
            sources = {rule.finding, *kb.implied_findings(rule.finding)}
            if cautioned and not any(n.finding in sources for n in advice.cautions):
                raise Violation(
                    f"advice {advice.id!r} ({advice.title}) acts on "
                    f"{', '.join(sorted(cautioned))} without the caution the safety policy "
                    f"requires while finding {rule.finding!r} ({title}) holds",
                    runners,
                    item=advice.id,
                )
        if "drinking" in rule.forbids:
            drinking = sorted(a.id for a in diagnosis.advice if _is_drinking(ctx, a.id))
            if drinking:
                raise Violation(
                    f"advice {drinking[0]!r} tells the runner to drink, although finding "
                    f"{rule.finding!r} ({title}) holds and the safety policy forbids advice "
                    "to drink",
                    runners,
                    item=drinking[0],
                )


_register(
    Invariant(
        "safety-rules-hold",
        "The safety policy holds: each warning-sign finding gets its tier and no advice "
        "it forbids; never stop a medicine",
        _safety_examples,
        _check_safety,
        search=_search_policy,
    )
)


# --- the red-flag table ----------------------------------------------------------------------


def _search_table(ctx: Context) -> int:
    """Every row of the knowledge base's red-flag table (none without one)."""
    from cramp.authoring.red_flag_table import row_problems
    from knowledge.problems import ProblemsError
    from knowledge.red_flags import read_red_flag_table, row_profile

    try:
        rows = read_red_flag_table(ctx.kb.root) or ()
    except ProblemsError as exc:
        raise Violation("\n".join(str(p) for p in exc.problems)) from None
    broken: list[str] = []
    runners: list[Runner] = []
    for row in rows:
        problems = row_problems(ctx.kb, row)
        if problems:
            broken += [f"{row.name}: {p}" for p in problems]
            with contextlib.suppress(ProblemsError):
                runners.append(Runner(f"Runner {row.name!r}", row_profile(row, ctx.kb), True))
    if broken:
        raise Violation("\n".join(broken), runners[:1])
    return len(rows)


_register(
    Invariant(
        "red-flag-table-holds",
        "Each runner of the red-flag table gets its tier and findings, and no advice it "
        "must not be told",
        None,
        None,
        search=_search_table,
    )
)


# --- every claim can fire, every question can matter ------------------------------------


def _search_fireable(ctx: Context) -> int:
    kb = ctx.kb
    never = [c for c, w in ctx.witnesses.items() if w is None]
    if never:
        lines = []
        for claim_id in never:
            conditions = "; ".join(c.describe() for c in kb.conditions[claim_id])
            gated = sorted(
                {
                    f"{c.question} is asked only if "
                    + "; ".join(p.describe() for p in kb.preconditions[c.question])
                    for c in kb.conditions[claim_id]
                    if isinstance(c, Condition) and kb.preconditions.get(c.question)
                }
            )
            why = f" (and {', '.join(gated)})" if gated else ""
            lines.append(f"claim {claim_id!r} can never fire: no answers satisfy {conditions}{why}")
        raise Violation("\n".join(lines))
    for claim_id, answers in ctx.witnesses.items():
        assert answers is not None
        profile = Profile(answers)
        if claim_id not in ctx.run(profile).fired_claims:
            raise Violation(
                f"claim {claim_id!r} holds for this runner but the engine does not fire it",
                _runner(profile),
                item=ctx.item_of(claim_id),
            )
    return len(ctx.witnesses)


def _satisfying_some_claim(ctx: Context) -> st.SearchStrategy[tuple[str, Profile]]:
    return st.sampled_from(ctx.fireable or ("",)).flatmap(
        lambda c: st.tuples(st.just(c), profiles(ctx.kb, satisfying=c) if c else profiles(ctx.kb))
    )


def _check_fires(ctx: Context, example: tuple[str, Profile]) -> None:
    claim_id, profile = example
    if claim_id and claim_id not in ctx.run(profile).fired_claims:
        raise Violation(
            f"claim {claim_id!r} holds for this runner but the engine does not fire it",
            _runner(profile),
            item=ctx.item_of(claim_id),
        )


_register(
    Invariant(
        "every-claim-can-fire",
        "Every claim can fire for some runner (found by search)",
        _satisfying_some_claim,
        _check_fires,
        search=_search_fireable,
    )
)


def _search_questions(ctx: Context) -> int:
    """For each question, a runner for whom answering it or not changes what fires."""
    kb = ctx.kb
    from knowledge.satisfy import alternatives

    rules: list[tuple[str, tuple[Any, ...]]] = [
        (f"claim {c!r}", conds) for c, conds in kb.conditions.items()
    ]
    for theory_id, contradicted in kb.contradictions.items():
        rules += [(f"a contradiction of {theory_id!r}", conds) for conds, _ in contradicted]
    # Every way a finding can hold: a question may matter only through one of them.
    for finding_id, clauses in kb.finding_clauses.items():
        rules += [
            (f"finding {finding_id!r}", alternative)
            for clause in clauses
            for alternative in alternatives(kb, clause)
        ]
    witnesses = [(what, satisfying_answers(kb, conds)) for what, conds in rules]
    idle = []
    for qid in kb.questions:
        found = next(((what, w) for what, w in witnesses if w is not None and qid in w), None)
        if found is None:
            idle.append(qid)
            continue
        with_it = Profile(found[1])
        without = Profile({q: v for q, v in found[1].items() if q != qid}, frozenset({qid}))
        run_with, run_without = ctx.run(with_it), ctx.run(without)
        if (run_with.fired_claims, run_with.facts) == (run_without.fired_claims, run_without.facts):
            raise Violation(
                f"question {qid!r} is needed by {found[0]}, but answering it changes nothing",
                [Runner("Minimal runner", with_it), Runner("The same runner without it", without)],
            )
    if idle:
        raise Violation(
            "\n".join(
                f"question {q!r} can change nothing: no claim that can fire, no finding "
                "and no contradiction tests it or a question it unlocks"
                for q in idle
            )
        )
    return len(kb.questions)


_register(
    Invariant(
        "every-question-matters",
        "Every question can matter to some claim (found by search)",
        None,
        None,
        search=_search_questions,
    )
)


# --- the derivation graph ------------------------------------------------------------------


def _check_graph(ctx: Context, profile: Profile) -> None:
    import networkx as nx

    from explain.graph import conclusions, derivation_graph

    kb = ctx.kb
    run, diagnosis = ctx.diagnose(profile)
    graph = derivation_graph(kb, run, diagnosis)
    runners = _runner(profile)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = " → ".join(a for a, _b in nx.find_cycle(graph))
        raise Violation(f"the derivation graph has a cycle: {cycle}", runners, item="triage")
    kinds = dict(graph.nodes(data="kind"))
    for node in conclusions(graph):
        ancestors = nx.ancestors(graph, node)
        if node == "triage" and graph.nodes[node].get("default"):
            continue  # self-care by default: no warning sign, so nothing to derive it from
        roots = {a for a in ancestors if graph.in_degree(a) == 0}
        loose = sorted(r for r in roots if kinds[r] not in ("answer", "premise"))
        if not roots or loose:
            shown = f" (it starts from {', '.join(loose)})" if loose else ""
            raise Violation(
                f"the conclusion {node!r} does not rest on the runner's answers{shown}",
                runners,
                item=graph.nodes[node].get("item") or "triage",
            )
    for node, kind in kinds.items():
        if kind != "firing":
            continue
        parents = set(graph.predecessors(node))
        claim = graph.nodes[node].get("claim")
        premises = {p for p in parents if kinds.get(p) == "premise"}
        if premises and not parents - premises and claim is not None and kb.conditions[claim]:
            raise Violation(
                f"{node} rests on no answer although its rule has conditions",
                runners,
                item=ctx.item_of(claim),
            )
        if claim:
            needed = {
                f"answer:{c.question}"
                for c in kb.conditions[claim]
                if isinstance(c, Condition) and not c.holds_unanswered
            }
            needed |= {
                f"finding:{c.finding}" for c in kb.conditions[claim] if isinstance(c, FindingTest)
            }
            if not needed <= parents:
                raise Violation(
                    f"{node} is not linked to the answers it needs: "
                    f"{', '.join(sorted(needed - parents))}",
                    runners,
                    item=ctx.item_of(claim),
                )


_register(
    Invariant(
        "derivation-graph-grounded",
        "The derivation graph is a DAG and every conclusion's ancestors reach answers",
        lambda ctx: profiles(ctx.kb),
        _check_graph,
    )
)


# --- an independent engine agrees --------------------------------------------------------


def _oracle_examples(ctx: Context) -> st.SearchStrategy[Profile]:
    return st.one_of(
        profiles(ctx.kb),
        st.sampled_from(ctx.fireable or ("",)).flatmap(
            lambda c: profiles(ctx.kb, satisfying=c) if c else profiles(ctx.kb)
        ),
    )


def _held(run: Run, fact_type: str) -> set[tuple[str, int, str]]:
    """(finding, group, tag) of each ``Withhold`` or ``Caution`` fact of an experta run."""
    return {(f["finding"], f["group"], f["tag"]) for f in run.derived(fact_type)}


def engine_differences(ctx: Context, profile: Profile) -> list[str]:
    """How the CLIPS engine's results differ from experta's for one profile (empty: none)."""
    run = ctx.run(profile)
    other = ctx.clips.run(profile)
    compared: dict[str, tuple[set[Any], set[Any]]] = {
        "answers kept": (set(run.answers.items()), set(other.answers.items())),
        "claims fired": (set(run.fired_claims), set(other.fired_claims)),
        "advice recommended": (
            {f["advice"] for f in run.derived("Recommendation")},
            set(other.recommended),
        ),
        "withholdings": (_held(run, "Withhold"), set(other.withholds)),
        "cautions": (_held(run, "Caution"), set(other.cautions)),
        "findings": (set(run.findings), set(other.findings)),
        "disputes beyond their scope": (
            {f["claim"] for f in run.derived("Beyond")},
            set(other.beyond),
        ),
        "triage level": ({run.tier}, {other.level}),
        "triage tiers": (
            {(f["claim"], f["tier"]) for f in run.derived("Triage")},
            set(other.triage_tiers),
        ),
        "contradictions": (
            {(f["theory"], f["clause"]) for f in run.derived("Contradiction")},
            set(other.contradictions),
        ),
    }
    out = []
    for what, (mine, theirs) in compared.items():
        for label, extra in (("experta", mine - theirs), ("CLIPS", theirs - mine)):
            if extra:
                shown = ", ".join(_shown(x) for x in sorted(extra, key=repr))
                out.append(f"{what}: only {label} has {shown}")
    return out


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def _check_engines_agree(ctx: Context, profile: Profile) -> None:
    differences = engine_differences(ctx, profile)
    if differences:
        claims = sorted(ctx.run(profile).fired_claims ^ ctx.clips.run(profile).fired_claims)
        raise Violation(
            "experta and CLIPS disagree: " + "; ".join(differences),
            _runner(profile),
            item=ctx.item_of(claims[0]) if claims else "triage",
        )


_register(
    Invariant(
        "engines-agree",
        "experta and an independent CLIPS engine derive the same results",
        _oracle_examples,
        _check_engines_agree,
        needs="clips",
    )
)


#: Every invariant, in the order they run.
INVARIANTS: tuple[Invariant, ...] = tuple(_REGISTERED)


def invariant_names() -> list[str]:
    """Names of every invariant, in the order they run."""
    return [i.name for i in INVARIANTS]


__all__ = [
    "DRINKING",
    "INVARIANTS",
    "STOP_MEDICINE",
    "Context",
    "Invariant",
    "Runner",
    "Violation",
    "engine_differences",
    "invariant_names",
    "policy_search",
    "profile_yaml",
]
