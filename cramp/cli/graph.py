"""``cramp kb graph``: export the knowledge base's own source → claim → theory/advice graph."""

from __future__ import annotations

from pathlib import Path

import click

from cramp.cli.report import output_errors
from cramp.cli.support import (
    EXIT_ERROR,
    fail,
    format_option,
    load_kb,
    printable,
    write_stdout,
)

#: File-name endings that pick a graph format when --format is not given.
GRAPH_ENDINGS = {
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".svg": "svg",
}


@click.command()
@format_option(
    ["dot", "mermaid", "svg"], "Output format (default: from FILE's extension, else dot)."
)
@click.option("-o", "--output", metavar="FILE", help="File to write instead of standard output.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it already exists.")
@click.pass_context
def graph(ctx: click.Context, fmt: str | None, output: str | None, force: bool) -> None:
    """Export the knowledge base as a graph: sources → claims → theories, advice, triage.

    Edges carry each claim's stance (supports, hedged, disputes), `withholds` and
    `sets` (a triage tier); conflicting advice points to a conflict node. SVG is laid
    out in Python and needs no Graphviz; DOT is for those who have it.

    \b
    Examples:
      cramp kb graph --format mermaid
      cramp kb graph -o kb.svg
      cramp kb graph --format dot | dot -Tpng -o kb.png
    """
    from cramp.files import write_atomically
    from explain.dot import to_dot
    from explain.kb_graph import GraphTooLarge, knowledge_graph
    from explain.mermaid import to_mermaid
    from explain.svg import render_svg

    if fmt is None:
        suffix = Path(output).suffix.lower() if output else ""
        if output and suffix not in GRAPH_ENDINGS:
            fail(
                f"--output: cannot tell the format from {output!r}; name it with "
                f"{', '.join(GRAPH_ENDINGS)} or give --format dot, mermaid or svg"
            )
        fmt = GRAPH_ENDINGS.get(suffix, "dot")
    kb = load_kb(ctx, reasoning=False)
    try:
        g = knowledge_graph(kb)
    except GraphTooLarge as exc:
        fail(f"{exc}; `cramp kb coverage` and `cramp kb docs` describe it instead", EXIT_ERROR)
    if fmt == "dot":
        text = to_dot(g, name="knowledge-base")
    elif fmt == "mermaid":
        text = to_mermaid(g)
    else:
        text = render_svg(
            g, title=f"{kb.manifest.title}: sources, claims, theories and advice", element_id="kb"
        )
    if output is None or output == "-":
        from explain.safe_text import for_terminal

        write_stdout(for_terminal(text))
        return
    path = Path(output)
    with output_errors(output):
        if path.exists() and not force:
            raise FileExistsError(output)
        write_atomically(path, text.encode("utf-8"), replace=force)
    click.echo(printable(f"wrote {output} ({fmt}, {path.stat().st_size} bytes)"))
