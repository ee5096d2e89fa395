"""mkdocs hook (mkdocs.yml `hooks:`): put the repository's other documentation on the site.

The Markdown under docs/ links to files beside it (`../infrastructure/README.md`), and the
README, CONTRIBUTING and CHANGELOG at the root link into docs/. Those links are right in the
repository, so they stay as they are; this hook publishes the outside files at their
repository paths and rewrites each link to where its target lands on the site. A link to
anything that is not on the site is left alone, so `mkdocs build --strict` reports it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

# Published at the same path as in the repository; infrastructure/ whole, so the READMEs'
# links to the Dockerfile or the nginx config open that file.
OUTSIDE = ("README.md", "CONTRIBUTING.md", "CHANGELOG.md", "infrastructure/**/*")
DOCS = "docs/"
LINK = re.compile(r"(?P<label>!?\[[^\]\n]*\])\((?P<target>[^)\s]+)\)")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).parent


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    root = _root(config)
    for pattern in OUTSIDE:
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                files.append(
                    File.generated(
                        config, path.relative_to(root).as_posix(), abs_src_path=str(path)
                    )
                )
    return files


def _site_path(repo_path: str, files: Files) -> str | None:
    """Where a repository path is published, or None when it is not on the site."""
    site_path = repo_path.removeprefix(DOCS) if repo_path.startswith(DOCS) else repo_path
    return site_path if files.get_file_from_path(site_path) is not None else None


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    root = _root(config)
    repo_page = Path(page.file.abs_src_path or "").resolve().relative_to(root.resolve()).as_posix()
    repo_dir = posixpath.dirname(repo_page)
    site_dir = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match[str]) -> str:
        target = match["target"]
        if SCHEME.match(target) or target.startswith(("#", "/")):
            return match[0]
        path, hash_, anchor = target.partition("#")
        repo_target = posixpath.normpath(posixpath.join(repo_dir, path))
        site_target = _site_path(repo_target, files)
        if site_target is None:
            if (root / repo_target).is_dir() and not match["label"].startswith("!"):
                # A folder has no page of its own on the site: keep its name as plain text.
                return match["label"][1:-1]
            return match[0]
        new = posixpath.relpath(site_target, site_dir or ".") + hash_ + anchor
        return f"{match['label']}({new})"

    return LINK.sub(rewrite, markdown)
