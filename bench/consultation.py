"""Benchmark the consultation: questions asked, step latency, and agreement with diagnose.

Replays generated runners through `cramp ask`'s consultation. Each runner is a random
complete profile (every question answered, from the vocabulary; by default 70 % of them
drawn among profiles that trip no red flag); every question the consultation asks is
answered from that profile. Each runner is replayed twice:

* **stopped**, as `cramp ask` runs: warning signs first, then the question most likely
  to change the headline, until no answer can (:mod:`expert.headline`). Reported: the
  questions asked (median, 90th percentile) and whether the headline shown then (tier,
  first three causes, advice for now) equals the headline of `cramp diagnose` on the
  complete profile; for red-flag runners, whether the tier does.
* **refined**, as after `more` to the end: every question that can change any
  conclusion. Then triage, causes (standing, status, evidence, contradictions), advice,
  advice against, withheld advice and conflicts must equal `cramp diagnose` on the
  complete profile when no red flag stopped the questions; after a red flag, the
  triage tier must equal the complete profile's and the referral must be present.

Run on demand (not a test)::

    uv run python bench/consultation.py                 # 1000 runners, seed 1
    uv run python bench/consultation.py --scale 10      # every claim ten times over

Prints a table and writes ``bench/results/consultation.json``. Exit status 1 if any
refined runner's conclusions differ, or any stopped runner's tier does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from expert import diagnose
from expert.consultation import RED_FLAG_TIERS, Consultation
from expert.headline import headline
from expert.relevance import Analysis, Rulebook
from knowledge import KnowledgeBase, Profile, load_knowledge_base
from knowledge.schema import Question

RESULTS = Path(__file__).resolve().parent / "results" / "consultation.json"


def random_answer(question: Question, kb: KnowledgeBase, rng: random.Random) -> Any:
    """A valid answer; numbers land on a condition's bound half the time, to test edges."""
    if question.type == "yesno":
        return rng.random() < 0.5
    if question.type == "choice":
        return rng.choice(question.values)
    if question.type == "multi":
        return tuple(v for v in question.values if rng.random() < 0.3)
    assert question.min is not None and question.max is not None
    bounds = [
        b
        for conds in (*kb.conditions.values(), *kb.preconditions.values())
        for c in conds
        if c.question == question.id
        for b in (c.low, c.high)
        if b is not None and question.min <= b <= question.max
    ]
    if bounds and rng.random() < 0.5:
        return float(rng.choice(bounds))
    return float(round(rng.uniform(question.min, question.max), 1))


def random_profile(kb: KnowledgeBase, rng: random.Random) -> Profile:
    """A complete profile: every question in the vocabulary answered."""
    return Profile({q.id: random_answer(q, kb, rng) for q in kb.questions.values()})


def has_red_flag(kb: KnowledgeBase, profile: Profile) -> bool:
    """Whether the complete profile sets an emergency or urgent tier (no engine run)."""
    book = Rulebook.for_kb(kb)
    return Analysis(book, profile.answers, profile.unknown).tier in RED_FLAG_TIERS


def random_runner(kb: KnowledgeBase, rng: random.Random, red_flag_share: float) -> Profile:
    """A random complete profile; with probability 1 - ``red_flag_share``, one without red flags.

    Uniformly random answers trip some warning sign for nearly every runner, which
    would leave few full consultations to measure; real runners mostly have none.
    """
    if rng.random() < red_flag_share:
        return random_profile(kb, rng)
    for _ in range(100_000):
        profile = random_profile(kb, rng)
        if not has_red_flag(kb, profile):
            return profile
    raise SystemExit("could not draw a runner without red flags; lower --red-flag-share")


def conclusions(diagnosis: Any) -> dict[str, Any]:
    """What a runner is told, without the raw answers: the part that must agree."""
    data = diagnosis.to_dict()
    return {
        key: data[key]
        for key in ("triage", "causes", "advice", "advised_against", "withheld", "conflicts")
    }


def scaled(kb: KnowledgeBase, times: int) -> KnowledgeBase:
    """The knowledge base with every claim repeated ``times`` over (ids suffixed)."""
    if times <= 1:
        return kb
    claims, sources, conditions = dict(kb.claims), dict(kb.claim_source), dict(kb.conditions)
    for n in range(2, times + 1):
        for cid, claim in kb.claims.items():
            copy = f"{cid}-x{n}"
            claims[copy] = claim.model_copy(update={"id": copy})
            sources[copy] = kb.claim_source[cid]
            conditions[copy] = kb.conditions[cid]
    return dataclasses.replace(
        kb,
        claims=claims,
        claim_source=sources,
        conditions=conditions,
        content_hash=f"{kb.content_hash[:48]}-scaled-{times}",
        _cache={},
    )


def replay(kb: KnowledgeBase, profile: Profile, *, refine: bool = False) -> dict[str, Any]:
    """Run one runner through the consultation; time every step."""
    consultation = Consultation(kb)
    consultation.refine(refine)
    steps: list[float] = []
    start = time.perf_counter()
    step = consultation.next_step()
    steps.append(time.perf_counter() - start)
    why_times: list[float] = []
    screens = 0
    while step:
        screens += 1
        start = time.perf_counter()
        consultation.why(step[0].id)
        why_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        consultation.answer_step({q.id: profile.answers[q.id] for q in step})
        step = consultation.next_step()
        steps.append(time.perf_counter() - start)
    start = time.perf_counter()
    diagnosis = consultation.diagnosis()
    final = time.perf_counter() - start
    return {
        "asked": screens,
        "questions": len(consultation.history),
        "headline": consultation.headline,
        "red_flag": consultation.is_red_flag,
        "steps": steps,
        "why": why_times,
        "final": final,
        "diagnosis": diagnosis,
    }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (values need not be sorted)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runners", type=int, default=1000, help="runners to replay")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--scale", type=int, default=1, help="repeat every claim N times")
    parser.add_argument(
        "--red-flag-share",
        type=float,
        default=0.3,
        help="share of runners drawn uniformly (most trip a red flag); the rest have none",
    )
    parser.add_argument("--kb", metavar="DIR", help="knowledge-base directory")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write JSON")
    args = parser.parse_args(argv)

    kb = scaled(load_knowledge_base(args.kb), args.scale)
    rng = random.Random(args.seed)
    used = sum(1 for claims in kb.questions_used.values() if claims)
    tested = {c.question for clauses in kb.contradictions.values() for w, _ in clauses for c in w}
    tested |= {q for q, claims in kb.questions_used.items() if claims}

    diagnose(kb, Profile())  # build the engine once, outside the timings
    rows: dict[str, list[int]] = {"all": [], "no_red_flag": [], "red_flag": []}
    stopped: dict[str, list[int]] = {"all": [], "no_red_flag": [], "red_flag": []}
    agree: dict[str, list[bool]] = {"no_red_flag": [], "red_flag": []}
    tier_agree: dict[str, list[bool]] = {"no_red_flag": [], "red_flag": []}
    differs: dict[str, int] = {"tier": 0, "causes": 0, "now": 0}
    steps: list[float] = []
    whys: list[float] = []
    finals: list[float] = []
    mismatches: list[dict[str, Any]] = []
    for index in range(args.runners):
        profile = random_runner(kb, rng, args.red_flag_share)
        full = diagnose(kb, profile)
        early = replay(kb, profile)
        steps.extend(early["steps"])
        whys.extend(early["why"])
        group = "red_flag" if has_red_flag(kb, profile) else "no_red_flag"
        stopped["all"].append(early["asked"])
        stopped[group].append(early["asked"])
        wanted = headline(full)
        agree[group].append(early["headline"] == wanted)
        tier_agree[group].append(early["headline"].tier == wanted.tier)
        for part in early["headline"].differences(wanted):
            differs[part] += 1
        if early["headline"].tier != wanted.tier:
            mismatches.append({"runner": index, "profile": profile.to_data(), "stopped": True})

        result = replay(kb, profile, refine=True)
        finals.append(result["final"])
        rows["all"].append(result["asked"])
        got = result["diagnosis"]
        if result["red_flag"]:
            rows["red_flag"].append(result["asked"])
            ok = (
                got.triage.tier == full.triage.tier
                and got.triage.tier in RED_FLAG_TIERS
                and got.triage.is_referral
            )
        else:
            rows["no_red_flag"].append(result["asked"])
            ok = conclusions(got) == conclusions(full)
        if not ok:
            mismatches.append(
                {"runner": index, "profile": profile.to_data(), "red_flag": result["red_flag"]}
            )

    def summary(asked: list[int]) -> dict[str, Any]:
        if not asked:
            return {"runners": 0}
        return {
            "runners": len(asked),
            "asked_mean": round(statistics.fmean(asked), 2),
            "asked_median": statistics.median(asked),
            "asked_p90": percentile(asked, 90),
            "asked_max": max(asked),
            "asked_min": min(asked),
        }

    def share(flags: list[bool]) -> float | None:
        return round(100 * sum(flags) / len(flags), 2) if flags else None

    ms = 1000.0
    report = {
        "knowledge_base": {"version": kb.version, "hash": kb.content_hash},
        "scale": args.scale,
        "seed": args.seed,
        "red_flag_share": args.red_flag_share,
        "vocabulary": len(kb.questions),
        "questions_tested_by_rules": len(tested),
        "questions_tested_by_claims": used,
        "claims": len(kb.claims),
        "rules": len(kb.claims) + sum(len(c) for c in kb.contradictions.values()),
        "stopped": {
            name: {
                **summary(asked),
                "headline_agreement_pct": share(agree.get(name, [])),
                "tier_agreement_pct": share(tier_agree.get(name, [])),
            }
            for name, asked in stopped.items()
        },
        "stopped_headline_differs_in": differs,
        "groups": {name: summary(asked) for name, asked in rows.items()},
        "step_ms": {
            "median": round(statistics.median(steps) * ms, 3),
            "p95": round(percentile(steps, 95) * ms, 3),
            "max": round(max(steps) * ms, 3),
            "count": len(steps),
        },
        "why_ms": {
            "median": round(statistics.median(whys) * ms, 3) if whys else None,
            "p95": round(percentile(whys, 95) * ms, 3) if whys else None,
        },
        "final_diagnosis_ms": {
            "median": round(statistics.median(finals) * ms, 3),
            "p95": round(percentile(finals, 95) * ms, 3),
        },
        "mismatches": len(mismatches),
        "first_mismatches": mismatches[:5],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_table(report)
    print(f"\nwritten: {args.out}")
    return 1 if mismatches else 0


def print_table(report: dict[str, Any]) -> None:
    groups = report["groups"]
    print(
        f"knowledge base {report['knowledge_base']['version']} "
        f"({report['knowledge_base']['hash'][:12]}), scale {report['scale']}: "
        f"{report['claims']} claims, {report['rules']} rules; "
        f"vocabulary {report['vocabulary']} questions, "
        f"{report['questions_tested_by_rules']} tested by some rule"
    )
    print("stopped at a stable headline (as `cramp ask` runs):")
    print(
        f"{'runners':<28}{'count':>8}{'median':>8}{'p90':>6}{'max':>6}"
        f"{'headline agrees':>17}{'tier agrees':>13}"
    )
    for name, label in (("no_red_flag", "no red flag"), ("red_flag", "red flag")):
        g = report["stopped"][name]
        if not g["runners"]:
            print(f"{label:<28}{0:>8}")
            continue
        print(
            f"{label:<28}{g['runners']:>8}{g['asked_median']:>8}{g['asked_p90']:>6}"
            f"{g['asked_max']:>6}{g['headline_agreement_pct']:>16}%{g['tier_agreement_pct']:>12}%"
        )
    print(f"  headline parts that differ: {report['stopped_headline_differs_in']}")
    print("refined to the end (`more` until nothing can change anything):")
    print(f"{'runners':<28}{'count':>8}{'asked avg':>12}{'asked max':>12}{'asked min':>12}")
    for name, label in (
        ("all", "all"),
        ("no_red_flag", "no red flag (full check)"),
        ("red_flag", "red-flag stop (triage)"),
    ):
        g = groups[name]
        if not g["runners"]:
            print(f"{label:<28}{0:>8}")
            continue
        print(
            f"{label:<28}{g['runners']:>8}{g['asked_mean']:>12}"
            f"{g['asked_max']:>12}{g['asked_min']:>12}"
        )
    s, w, f = report["step_ms"], report["why_ms"], report["final_diagnosis_ms"]
    print(
        f"step latency (answer → next question): median {s['median']} ms, "
        f"p95 {s['p95']} ms, max {s['max']} ms over {s['count']} steps"
    )
    print(f"why latency: median {w['median']} ms, p95 {w['p95']} ms")
    print(f"final diagnosis (engine run): median {f['median']} ms, p95 {f['p95']} ms")
    total = groups["all"]["runners"]
    print(
        f"conclusions equal to diagnose on the complete profile: "
        f"{total - report['mismatches']}/{total}"
    )


if __name__ == "__main__":
    sys.exit(main())
