"""A second, independent engine: the knowledge base compiled to CLIPS and run with clipspy.

It exists to check the experta engine. It shares the rule list
(:func:`expert.rules.rule_specs`: what each rule tests and declares) with
:mod:`expert.compile`, but matching, negation and the agenda are CLIPS's own, written
out as CLIPS constructs:

* ``given`` facts hold the runner's raw single-valued answers; a multi-choice answer is
  a ``given-choices`` fact (answered) plus one ``given-choice`` fact per value picked,
  so "includes any" is a plain pattern and "includes none" is CLIPS's own ``not``;
  unknown answers assert nothing;
* ``keep-<question>`` rules turn raw answers into ``answer`` (or ``answered`` and
  ``choice``) facts when the question's ``ask_if`` conditions hold on answers already
  kept: the same answers :meth:`KnowledgeBase.applicable` keeps, since ``ask_if``
  never forms a cycle. Their salience falls with the depth of ``ask_if`` nesting and
  stays above every other rule, so the answers are complete before anything tests them;
* one rule per specification (findings, claims, contradictions, withholding, cautions,
  triage levels, recommendations): an ``unless`` test and everything a rule must not
  see are CLIPS ``not`` elements, and the salience of each rule is the
  specification's, so strata run in order here too.

``clipspy`` is a test and benchmark dependency: it is imported inside functions only.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from expert.rules import FactTest, RuleSpec, rule_specs
from knowledge import Condition, KnowledgeBase, Profile
from knowledge.conditions import FindingTest

#: Salience of keeping a question with no ``ask_if``; two less per level of nesting.
#: CLIPS allows -10000 to 10000; every specification's rule sits below ``SALIENCE_SPEC``,
#: in the specifications' own order (see :func:`_saliences`).
SALIENCE_KEEP = 9000
SALIENCE_SPEC = 4000

_TEMPLATES = """\
(deftemplate given (slot question (type STRING)) (slot value))
(deftemplate given-choices (slot question (type STRING)))
(deftemplate given-choice (slot question (type STRING)) (slot value (type STRING)))
(deftemplate answer (slot question (type STRING)) (slot value))
(deftemplate answered (slot question (type STRING)))
(deftemplate choice (slot question (type STRING)) (slot value (type STRING)))
(deftemplate fired (slot claim (type STRING)))
(deftemplate finding (slot id (type STRING)))
(deftemplate evidence (slot theory (type STRING)) (slot claim (type STRING))
  (slot stance (type STRING)))
(deftemplate support (slot advice (type STRING)) (slot claim (type STRING))
  (slot stance (type STRING)))
(deftemplate triage (slot tier (type STRING)) (slot claim (type STRING)))
(deftemplate withhold (slot finding (type STRING)) (slot group (type INTEGER))
  (slot tag (type STRING)))
(deftemplate caution (slot finding (type STRING)) (slot group (type INTEGER))
  (slot tag (type STRING)))
(deftemplate contradiction (slot theory (type STRING)) (slot clause (type INTEGER)))
(deftemplate beyond (slot claim (type STRING)) (slot theory (type STRING)))
(deftemplate level (slot tier (type STRING)))
(deftemplate recommendation (slot advice (type STRING)))"""


@dataclass(frozen=True)
class ClipsRun:
    """What the CLIPS engine derived for one profile (sets, so order cannot matter)."""

    answers: Mapping[str, Any]
    fired_claims: frozenset[str]
    recommended: frozenset[str]
    #: (finding, group, tag) of each withholding declared: the advice acting on the tag.
    withholds: frozenset[tuple[str, int, str]]
    triage_tiers: frozenset[tuple[str, str]]
    contradictions: frozenset[tuple[str, int]]
    findings: frozenset[str] = frozenset()
    level: str | None = None
    cautions: frozenset[tuple[str, int, str]] = frozenset()
    beyond: frozenset[str] = frozenset()


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _atom(value: Any) -> str:
    """A condition value as a CLIPS constant: yes/no symbols, strings, or numbers."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return repr(float(value))
    return _string(str(value))


def _patterns(conditions: Iterable[Condition], prefix: str) -> list[str]:
    """Conditional elements testing the kept answers; ``prefix`` keeps variables apart."""
    out = []
    for index, cond in enumerate(conditions):
        var = f"?{prefix}{index}"
        question = _string(cond.question)
        if cond.op == "range":
            tests = [f"&:(numberp {var})"]
            if cond.low is not None:
                tests.append(f"&:(>= {var} {float(cond.low)!r})")
            if cond.high is not None:
                tests.append(f"&:(<= {var} {float(cond.high)!r})")
            out.append(f"(answer (question {question}) (value {var}{''.join(tests)}))")
        elif cond.qtype == "multi":
            atoms = "|".join(sorted(_atom(v) for v in cond.values))
            choice = f"(choice (question {question}) (value {atoms}))"
            if cond.op == "any":
                out.append(choice)
            elif cond.op == "all":
                out += [
                    f"(choice (question {question}) (value {_atom(v)}))"
                    for v in sorted(cond.values)
                ]
            elif cond.op == "unless":
                # Not known to include any of them: no such choice kept.
                out.append(f"(not {choice})")
            else:
                out += [f"(answered (question {question}))", f"(not {choice})"]
        else:
            names = sorted(_atom(v) for v in cond.values)
            # ``a|b``: one of them; ``~a&~b``: known, and none of them.
            either, neither = "|".join(names), "&".join(f"~{a}" for a in names)
            if cond.op == "unless":
                out.append(f"(not (answer (question {question}) (value {either})))")
            else:
                constraint = either if cond.op == "any" else neither
                out.append(f"(answer (question {question}) (value {constraint}))")
    return out


def _fact_pattern(test: FactTest) -> str:
    """A pattern on a derived fact: each field one of its values (or none of them)."""
    slots = []
    for name, values, negate in test.fields:
        atoms = sorted(_atom(v) for v in values)
        constraint = "&".join(f"~{a}" for a in atoms) if negate else "|".join(atoms)
        slots.append(f"({name} {constraint})")
    return f"({test.type.lower()} {' '.join(slots)})"


def _rule(name: str, salience: int, patterns: list[str], actions: list[str]) -> str:
    lhs = "".join(f"\n  {p}" for p in patterns)
    rhs = "".join(f"\n  {a}" for a in actions)
    return f"(defrule {name}\n  (declare (salience {salience})){lhs}\n  =>{rhs})"


def _depths(kb: KnowledgeBase) -> dict[str, int]:
    """How deep each question sits in the ``ask_if`` nesting (0: always asked).

    Walked with an explicit stack, so a long chain cannot exhaust Python's recursion.
    """
    depths: dict[str, int] = {}
    for start in kb.questions:
        stack = [start]
        while stack:
            qid = stack[-1]
            if qid in depths:
                stack.pop()
                continue
            above = [c.question for c in kb.preconditions.get(qid, ())]
            todo = [q for q in above if q not in depths and q not in stack]
            if todo:
                stack.extend(todo)
                continue
            # (A question already on the stack would be a cycle, which the loader refuses.)
            depths[qid] = 1 + max((depths.get(q, 0) for q in above), default=-1)
            stack.pop()
    return depths


def _keep_rules(kb: KnowledgeBase) -> list[str]:
    rules = []
    depths = _depths(kb)
    for qid, question in kb.questions.items():
        q = _string(qid)
        salience = SALIENCE_KEEP - 2 * depths[qid]
        pre = _patterns(kb.preconditions.get(qid, ()), "p")
        if question.type == "multi":
            rules.append(
                _rule(
                    f"keep-{qid}",
                    salience,
                    [f"(given-choices (question {q}))", *pre],
                    [f"(assert (answered (question {q})))"],
                )
            )
            rules.append(
                _rule(
                    f"keep-{qid}-choice",
                    salience - 1,
                    [f"(given-choice (question {q}) (value ?v))", f"(answered (question {q}))"],
                    [f"(assert (choice (question {q}) (value ?v)))"],
                )
            )
        else:
            rules.append(
                _rule(
                    f"keep-{qid}",
                    salience,
                    [f"(given (question {q}) (value ?v))", *pre],
                    [f"(assert (answer (question {q}) (value ?v)))"],
                )
            )
    return rules


def _saliences(specs: Iterable[RuleSpec]) -> dict[int, int]:
    """The specifications' saliences packed into CLIPS's range, order kept."""
    distinct = sorted({spec.salience for spec in specs}, reverse=True)
    return {salience: SALIENCE_SPEC - rank for rank, salience in enumerate(distinct)}


def _slot_value(value: Any) -> str:
    """A declared field's value as a CLIPS constant (integers stay integers)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _atom(value)


def _spec_rule(spec: RuleSpec, salience: int) -> str:
    """One specification as a CLIPS rule (gates are the keep rules instead)."""
    conditions = [t for t in spec.tests if isinstance(t, Condition)]
    patterns = _patterns(conditions, "c")
    patterns += [
        f"(finding (id {_string(t.finding)}))" for t in spec.tests if isinstance(t, FindingTest)
    ]
    patterns += [_fact_pattern(t) for t in spec.requires]
    patterns += [f"(not {_fact_pattern(t)})" for t in spec.excludes]
    actions = [f"(assert (fired (claim {_string(spec.claim)})))"] if spec.claim else []
    for fact in spec.declares:
        slots = " ".join(f"({name} {_slot_value(value)})" for name, value in fact.fields)
        actions.append(f"(assert ({fact.type.lower()} {slots}))")
    name = spec.name.replace(":", "-")
    return _rule(name, salience, patterns, actions)


def compile_clips(kb: KnowledgeBase) -> str:
    """The knowledge base as CLIPS source: templates, then rules (same text every time)."""
    header = (
        f"; {kb.manifest.title}, knowledge base {kb.version} ({kb.short_hash}),"
        " compiled by cramp.authoring.clips"
    )
    specs = [spec for spec in rule_specs(kb) if spec.kind != "gate"]
    packed = _saliences(specs)
    constructs = [
        _TEMPLATES,
        *_keep_rules(kb),
        *(_spec_rule(spec, packed[spec.salience]) for spec in specs),
    ]
    return header + "\n\n" + "\n\n".join(constructs) + "\n"


class ClipsReasoner:
    """A CLIPS environment loaded once with a knowledge base, reused for many profiles."""

    def __init__(self, kb: KnowledgeBase) -> None:
        import clips

        self.kb = kb
        self.env = clips.Environment()
        source = compile_clips(kb)
        # clipspy loads constructs from a file; the text is exactly compile_clips's.
        fd, path = tempfile.mkstemp(suffix=".clp", prefix="cramp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(source)
            self.env.load(path)
        finally:
            os.unlink(path)
        self._given = self.env.find_template("given")
        self._given_choices = self.env.find_template("given-choices")
        self._given_choice = self.env.find_template("given-choice")

    def run(self, profile: Profile) -> ClipsRun:
        """Reset, assert the known answers, run to quiescence and read the results."""
        import clips

        self.env.reset()
        for qid in sorted(profile.answers):
            value = profile.answers[qid]
            if self.kb.questions[qid].type == "multi":
                # One fact per value, not a multislot: plain patterns and ``not`` do the
                # matching, and clipspy frees single-valued facts cleanly on reset.
                self._given_choices.assert_fact(question=qid)
                for choice in value:
                    self._given_choice.assert_fact(question=qid, value=choice)
            elif isinstance(value, bool):
                self._given.assert_fact(question=qid, value=clips.Symbol(_atom(value)))
            else:
                self._given.assert_fact(question=qid, value=value)
        self.env.run()
        return self._collect()

    def _collect(self) -> ClipsRun:
        """What the run concluded, in the shape the experta run is compared in."""
        import clips

        answers: dict[str, Any] = {}
        chosen: dict[str, list[str]] = {}
        # Facts that are collected as one slot each, into a set named by the template.
        sets: dict[str, set[Any]] = {name: set() for name in _ONE_SLOT}
        triage: set[tuple[str, str]] = set()
        contradictions: set[tuple[str, int]] = set()
        held: dict[str, set[tuple[str, int, str]]] = {"withhold": set(), "caution": set()}
        for fact in self.env.facts():
            name = fact.template.name
            if name in _ONE_SLOT:
                sets[name].add(fact[_ONE_SLOT[name]])
            elif name == "answer":
                value = fact["value"]
                answers[fact["question"]] = (
                    value == "yes" if isinstance(value, clips.Symbol) else value
                )
            elif name == "answered":
                chosen.setdefault(fact["question"], [])
            elif name == "choice":
                chosen.setdefault(fact["question"], []).append(fact["value"])
            elif name == "triage":
                triage.add((fact["claim"], fact["tier"]))
            elif name == "contradiction":
                contradictions.add((fact["theory"], int(fact["clause"])))
            elif name in held:
                held[name].add((fact["finding"], int(fact["group"]), fact["tag"]))
        levels = sets["level"]
        answers.update((q, tuple(sorted(v))) for q, v in chosen.items())
        return ClipsRun(
            answers=dict(sorted(answers.items())),
            fired_claims=frozenset(sets["fired"]),
            recommended=frozenset(sets["recommendation"]),
            withholds=frozenset(held["withhold"]),
            triage_tiers=frozenset(triage),
            contradictions=frozenset(contradictions),
            findings=frozenset(sets["finding"]),
            # Exactly one level rule can fire; anything else is a disagreement to report.
            level=levels.pop() if len(levels) == 1 else f"levels: {sorted(levels)}",
            cautions=frozenset(held["caution"]),
            beyond=frozenset(sets["beyond"]),
        )


#: Templates read as a set of one slot's values: template name → slot.
_ONE_SLOT = {
    "fired": "claim",
    "recommendation": "advice",
    "beyond": "claim",
    "finding": "id",
    "level": "tier",
}

__all__ = ["ClipsReasoner", "ClipsRun", "compile_clips"]
