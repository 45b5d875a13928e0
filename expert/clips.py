"""A second, independent engine: the knowledge base compiled to CLIPS and run with clipspy.

It exists to check the experta engine. It shares only the loaded knowledge base (the
parsed conditions, claims and advice) with :mod:`expert.compile`; matching is CLIPS's
own, written out as CLIPS constructs:

* ``given`` facts hold the runner's raw single-valued answers; a multi-choice answer is
  a ``given-choices`` fact (answered) plus one ``given-choice`` fact per value picked,
  so "includes any" is a plain pattern and "includes none" is CLIPS's own ``not``;
  unknown answers assert nothing;
* ``keep-<question>`` rules turn raw answers into ``answer`` (or ``answered`` and
  ``choice``) facts when the question's ``ask_if`` conditions hold on answers already
  kept: the same answers :meth:`KnowledgeBase.applicable` keeps, since ``ask_if``
  never forms a cycle. Their salience falls with the depth of ``ask_if`` nesting, so a
  question's facts are complete before any rule that tests them with ``not`` fires;
* one ``claim-<id>`` rule per claim asserts ``fired`` and what the claim concludes
  (``evidence``, ``support``, ``triage``, ``withhold``);
* one ``contradiction-<theory>-<n>`` rule per ``contradicted_when`` clause;
* one ``recommend-<advice>`` rule per piece of advice, at the lowest salience so that
  every ``withhold`` that could cancel it is already known when it fires.

``clipspy`` is a test and benchmark dependency: it is imported inside functions only.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from knowledge import Condition, KnowledgeBase, Profile

#: Salience of keeping a question with no ``ask_if``; two less per level of nesting.
SALIENCE_KEEP = 500
SALIENCE_CLAIM = 10
SALIENCE_RECOMMEND = -10

_TEMPLATES = """\
(deftemplate given (slot question (type STRING)) (slot value))
(deftemplate given-choices (slot question (type STRING)))
(deftemplate given-choice (slot question (type STRING)) (slot value (type STRING)))
(deftemplate answer (slot question (type STRING)) (slot value))
(deftemplate answered (slot question (type STRING)))
(deftemplate choice (slot question (type STRING)) (slot value (type STRING)))
(deftemplate fired (slot claim (type STRING)))
(deftemplate evidence (slot theory (type STRING)) (slot claim (type STRING))
  (slot stance (type STRING)))
(deftemplate support (slot advice (type STRING)) (slot claim (type STRING))
  (slot stance (type STRING)))
(deftemplate triage (slot tier (type STRING)) (slot claim (type STRING)))
(deftemplate withhold (slot advice (type STRING)) (slot claim (type STRING)))
(deftemplate contradiction (slot theory (type STRING)) (slot clause (type INTEGER)))
(deftemplate recommendation (slot advice (type STRING)))"""


@dataclass(frozen=True)
class ClipsRun:
    """What the CLIPS engine derived for one profile (sets, so order cannot matter)."""

    answers: Mapping[str, Any]
    fired_claims: frozenset[str]
    recommended: frozenset[str]
    withheld: frozenset[str]
    triage_tiers: frozenset[tuple[str, str]]
    contradictions: frozenset[tuple[str, int]]


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
            else:
                out += [f"(answered (question {question}))", f"(not {choice})"]
        else:
            atoms = sorted(_atom(v) for v in cond.values)
            # ``a|b``: one of them; ``~a&~b``: known, and none of them.
            either, neither = "|".join(atoms), "&".join(f"~{a}" for a in atoms)
            constraint = either if cond.op == "any" else neither
            out.append(f"(answer (question {question}) (value {constraint}))")
    return out


def _rule(name: str, salience: int, patterns: list[str], actions: list[str]) -> str:
    lhs = "".join(f"\n  {p}" for p in patterns)
    rhs = "".join(f"\n  {a}" for a in actions)
    return f"(defrule {name}\n  (declare (salience {salience})){lhs}\n  =>{rhs})"


def _depths(kb: KnowledgeBase) -> dict[str, int]:
    """How deep each question sits in the ``ask_if`` nesting (0: always asked)."""
    depths: dict[str, int] = {}
    for start in kb.questions:
        # An explicit stack, not recursion: ask_if chains may be thousands deep.
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


def _claim_rules(kb: KnowledgeBase) -> list[str]:
    rules = []
    for claim_id, claim in kb.claims.items():
        cid = _string(claim_id)
        actions = [f"(assert (fired (claim {cid})))"]
        if claim.theory is not None:
            actions.append(
                f"(assert (evidence (theory {_string(claim.theory)}) (claim {cid}) "
                f"(stance {_string(claim.stance)})))"
            )
        if claim.advice is not None:
            actions.append(
                f"(assert (support (advice {_string(claim.advice)}) (claim {cid}) "
                f"(stance {_string(claim.stance)})))"
            )
        if claim.triage is not None:
            actions.append(f"(assert (triage (tier {_string(claim.triage)}) (claim {cid})))")
        actions.extend(
            f"(assert (withhold (advice {_string(a)}) (claim {cid})))" for a in claim.withholds
        )
        patterns = _patterns(kb.conditions[claim_id], "c")
        rules.append(_rule(f"claim-{claim_id}", SALIENCE_CLAIM, patterns, actions))
    return rules


def _contradiction_rules(kb: KnowledgeBase) -> list[str]:
    rules = []
    for theory_id, clauses in kb.contradictions.items():
        for index, (conditions, _because) in enumerate(clauses):
            action = f"(assert (contradiction (theory {_string(theory_id)}) (clause {index})))"
            rules.append(
                _rule(
                    f"contradiction-{theory_id}-{index}",
                    SALIENCE_CLAIM,
                    _patterns(conditions, "c"),
                    [action],
                )
            )
    return rules


def _recommend_rules(kb: KnowledgeBase) -> list[str]:
    rules = []
    for advice_id in kb.advice:
        aid = _string(advice_id)
        patterns = [
            f'(support (advice {aid}) (stance ~"disputes"))',
            f"(not (withhold (advice {aid})))",
        ]
        rules.append(
            _rule(
                f"recommend-{advice_id}",
                SALIENCE_RECOMMEND,
                patterns,
                [f"(assert (recommendation (advice {aid})))"],
            )
        )
    return rules


def compile_clips(kb: KnowledgeBase) -> str:
    """The knowledge base as CLIPS source: templates, then rules (same text every time)."""
    header = (
        f"; {kb.manifest.title}, knowledge base {kb.version} ({kb.short_hash}),"
        " compiled by expert.clips"
    )
    constructs = [
        _TEMPLATES,
        *_keep_rules(kb),
        *_claim_rules(kb),
        *_contradiction_rules(kb),
        *_recommend_rules(kb),
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
        import clips

        answers: dict[str, Any] = {}
        chosen: dict[str, list[str]] = {}
        fired: set[str] = set()
        recommended: set[str] = set()
        withheld: set[str] = set()
        triage: set[tuple[str, str]] = set()
        contradictions: set[tuple[str, int]] = set()
        for fact in self.env.facts():
            name = fact.template.name
            if name == "answer":
                value = fact["value"]
                answers[fact["question"]] = (
                    value == "yes" if isinstance(value, clips.Symbol) else value
                )
            elif name == "answered":
                chosen.setdefault(fact["question"], [])
            elif name == "choice":
                chosen.setdefault(fact["question"], []).append(fact["value"])
            elif name == "fired":
                fired.add(fact["claim"])
            elif name == "recommendation":
                recommended.add(fact["advice"])
            elif name == "withhold":
                withheld.add(fact["advice"])
            elif name == "triage":
                triage.add((fact["claim"], fact["tier"]))
            elif name == "contradiction":
                contradictions.add((fact["theory"], int(fact["clause"])))
        answers.update((q, tuple(sorted(v))) for q, v in chosen.items())
        return ClipsRun(
            answers=dict(sorted(answers.items())),
            fired_claims=frozenset(fired),
            recommended=frozenset(recommended),
            withheld=frozenset(withheld),
            triage_tiers=frozenset(triage),
            contradictions=frozenset(contradictions),
        )


__all__ = ["ClipsReasoner", "ClipsRun", "compile_clips"]
