"""Mermaid for the documentation site, vendored: no page fetches it from a CDN.

mkdocs-material draws a ```mermaid block with the page's global ``mermaid`` when there
is one, and otherwise loads the library from a CDN. This MkDocs hook (``hooks:`` in
mkdocs.yml) ships a pinned ``mermaid.min.js`` with the site, under
``assets/vendor/mermaid/`` beside its licence, and loads it on exactly the pages that
have a diagram, before the theme's own script.

Where the file comes from: the ``mermaid`` package on the npm registry, version
:data:`VERSION`, fetched with ``npm pack`` (npm's ordinary client, no package-lock, no
node_modules). The tarball must match the integrity the registry records for that
version (:data:`TARBALL_INTEGRITY`), and the script its own SHA-256
(:data:`SCRIPT_SHA256`); the files are kept under ``.cache/`` (ignored by git, never
committed). ``python docs_hooks/mermaid.py`` fetches them, as ``.ci/run`` does before
anything builds the site; a build also fetches them when they are missing and npm is
installed. To move to another release, change the three constants together.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

#: The npm package and the release the site ships.
PACKAGE = "mermaid"
VERSION = "11.17.2"
#: ``dist.integrity`` of mermaid@11.17.2 on the npm registry (SHA-512 of the tarball).
TARBALL_INTEGRITY = (
    "sha512-"
    "V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7LoaRQxULMa80/qt5gHO73aCleBBg=="
)
#: SHA-256 of ``package/dist/mermaid.min.js`` in that tarball.
SCRIPT_SHA256 = "581ed7d74bd9048d0e3a91363927d72ef22942d7722546b27f7cc29e35390eb8"

REPO = Path(__file__).resolve().parent.parent
#: Where the fetched files are kept between builds (ignored by git).
CACHE = REPO / ".cache" / f"{PACKAGE}-{VERSION}"
#: Where they are in the built site.
SITE_DIR = "assets/vendor/mermaid"
SCRIPT = "mermaid.min.js"
LICENCE = "LICENSE"
#: Files taken from the tarball: (path in the tarball, name in CACHE and SITE_DIR).
MEMBERS = ((f"package/dist/{SCRIPT}", SCRIPT), (f"package/{LICENCE}", LICENCE))

#: How material-for-mkdocs writes a diagram block (pymdownx.superfences' fence_code_format).
DIAGRAM = '<pre class="mermaid">'
#: The theme's own script, which draws the diagrams: the vendored one must come first.
THEME_SCRIPT = re.compile(r'<script src="[^"]*assets/javascripts/bundle\.[0-9a-f]+\.min\.js">')


class MermaidUnavailable(RuntimeError):
    """The pinned Mermaid could not be fetched or failed its checks."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cached_script() -> Path | None:
    """The vendored script, if it is in the cache and is the pinned one."""
    script = CACHE / SCRIPT
    if not (script.is_file() and (CACHE / LICENCE).is_file()):
        return None
    return script if sha256(script.read_bytes()) == SCRIPT_SHA256 else None


def fetch() -> Path:
    """Fetch the pinned release with ``npm pack``, check it, and cache its script."""
    npm = shutil.which("npm")
    if npm is None:
        raise MermaidUnavailable(
            f"npm is not installed, so {PACKAGE}@{VERSION} cannot be fetched for the "
            "documentation site (Debian: apt-get install npm; then run "
            "`python docs_hooks/mermaid.py`)"
        )
    with tempfile.TemporaryDirectory(prefix="mermaid-") as tmp:
        result = subprocess.run(
            [
                npm,
                "pack",
                f"{PACKAGE}@{VERSION}",
                "--json",
                "--ignore-scripts",
                "--pack-destination",
                tmp,
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if result.returncode != 0:
            raise MermaidUnavailable(
                f"`npm pack {PACKAGE}@{VERSION}` failed:\n{result.stderr.strip()[-2000:]}"
            )
        [packed] = json.loads(result.stdout)
        tarball = Path(tmp) / packed["filename"]
        digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if f"sha512-{digest}" != TARBALL_INTEGRITY:
            raise MermaidUnavailable(
                f"{tarball.name} does not match the pinned integrity {TARBALL_INTEGRITY}"
            )
        with tarfile.open(tarball) as archive:
            contents = {}
            for member, name in MEMBERS:
                handle = archive.extractfile(member)
                if handle is None:
                    raise MermaidUnavailable(f"{tarball.name} has no file {member}")
                contents[name] = handle.read()
    if sha256(contents[SCRIPT]) != SCRIPT_SHA256:
        raise MermaidUnavailable(f"{SCRIPT} from {tarball.name} is not the pinned file")
    CACHE.mkdir(parents=True, exist_ok=True)
    for name, data in contents.items():
        part = CACHE / f".{name}.part"
        part.write_bytes(data)
        os.replace(part, CACHE / name)
    return CACHE / SCRIPT


def ensure() -> Path:
    """The vendored script: from the cache, or fetched now."""
    return cached_script() or fetch()


# --- MkDocs hooks ---------------------------------------------------------------------


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    from mkdocs.exceptions import PluginError

    try:
        ensure()
    except MermaidUnavailable as exc:
        raise PluginError(str(exc)) from exc
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    from mkdocs.structure.files import File

    for _member, name in MEMBERS:
        files.append(File.generated(config, f"{SITE_DIR}/{name}", abs_src_path=str(CACHE / name)))
    return files


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Load the vendored Mermaid on a page with a diagram, before the theme's script."""
    if DIAGRAM not in output:
        return output
    from mkdocs.exceptions import PluginError
    from mkdocs.utils import get_relative_url

    src = get_relative_url(f"{SITE_DIR}/{SCRIPT}", page.url)
    match = THEME_SCRIPT.search(output)
    if match is None:
        raise PluginError(f"{page.file.src_uri}: the theme's script was not found")
    tag = f'<script src="{src}"></script>\n  '
    return output[: match.start()] + tag + output[match.start() :]


if __name__ == "__main__":
    try:
        path = cached_script()
        state = "already there"
        if path is None:
            path, state = fetch(), "fetched"
    except MermaidUnavailable as exc:
        sys.exit(f"docs_hooks/mermaid.py: {exc}")
    print(f"{PACKAGE}@{VERSION}: {state}, {path.relative_to(REPO)}")
