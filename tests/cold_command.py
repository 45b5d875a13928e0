"""Run ``cramp diagnose`` in a new interpreter and tell which of some modules it imported."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Mapping, Sequence

_SCRIPT = (
    "import sys\n"
    "from cramp.cli import main\n"
    "profile, modules = sys.argv[1], sys.argv[2:]\n"
    "sys.argv = ['cramp', 'diagnose', profile]\n"
    "try:\n    main()\n"
    "except SystemExit:\n    pass\n"
    "print('LOADED', [m for m in modules if m in sys.modules], file=sys.stderr)\n"
)


def diagnose_in_new_process(
    profile: str, modules: Sequence[str], env: Mapping[str, str]
) -> tuple[str, list[str]]:
    """The standard output of ``cramp diagnose PROFILE`` and which of ``modules`` it
    imported, in the order given."""
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, profile, *modules],
        env=dict(env),
        capture_output=True,
        text=True,
    )
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    return done.stdout, ast.literal_eval(line.removeprefix("LOADED "))
