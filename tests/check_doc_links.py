#!/usr/bin/env python3
"""The link check that `mkdocs build --strict` does not do.

- README.md and configs/SCHEMA.md (read on the forge, outside the manual):
  every relative link and image must name a file or folder that exists, and
  a `#anchor` into a Markdown file must name one of its headings.
- docs/**/*.md (the manual): every `#anchor` must name a heading of the page
  it points to (MkDocs 1.4 checks only that the page exists), no link may
  leave docs/ (the built site would not have the file), and every page must
  be in mkdocs.yml's nav (MkDocs 1.4 only notes a page missing from it).

An anchor must be the heading's id both as MkDocs renders it (Python-Markdown's
toc slug) and as the forge renders the file (GitHub's slug), so that a link
works in the built manual and when the Markdown is browsed in the repository.
Links to http(s) and mailto are not followed (no network in CI).

Run with the repository root as argument; prints one line per broken link
(file:line, the target, why) and exits 1 if there is any. --self-test plants
broken links in a scratch copy and checks that each is caught.
"""
import os
import re
import shutil
import sys
import tempfile
import unicodedata

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def heading_text(raw):
    """The heading as text: inline code kept as its content, links as their text, emphasis dropped."""
    text = CODE_SPAN.sub(lambda m: m.group(2).strip(), raw)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|_)(\S(?:.*?\S)?)\1", r"\2", text)
    text = re.sub(r"<[^>]+>", "", text)
    return text.strip()


def mkdocs_slug(text):
    """Python-Markdown's toc slugify (markdown 3.4, the one Debian 12's MkDocs uses)."""
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def github_slug(text):
    """GitHub's heading anchors: lower case, punctuation dropped, each space a hyphen."""
    value = text.strip().lower()
    value = "".join(c for c in value if c.isalnum() or c in " -_")
    return value.replace(" ", "-")


def strip_code(lines):
    """(line number, line) outside fenced code blocks, with inline code spans blanked."""
    fenced = False
    for number, line in enumerate(lines, 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        yield number, CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)


def anchors(path, cache={}):
    """{(mkdocs slug, github slug)} of a Markdown file's headings, duplicates numbered as each renderer does."""
    if path not in cache:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        seen_m, seen_g, found = {}, {}, set()
        fenced = False
        for line in lines:
            if FENCE.match(line):
                fenced = not fenced
                continue
            m = None if fenced else HEADING.match(line)
            if not m:
                continue
            text = heading_text(m.group(2))
            ms, gs = mkdocs_slug(text), github_slug(text)
            nm, ng = seen_m.get(ms, 0), seen_g.get(gs, 0)
            seen_m[ms], seen_g[gs] = nm + 1, ng + 1
            found.add((ms if nm == 0 else f"{ms}_{nm}", gs if ng == 0 else f"{gs}-{ng}"))
        cache[path] = found
    return cache[path]


def check_anchor(target_file, anchor):
    """None if `anchor` names a heading of target_file in both renderings, else why not."""
    pairs = anchors(target_file)
    in_mkdocs = any(ms == anchor for ms, _ in pairs)
    in_github = any(gs == anchor for _, gs in pairs)
    if in_mkdocs and in_github:
        return None
    if in_mkdocs:
        return "the built manual has this anchor, but GitHub's slug of that heading differs (reword the heading)"
    if in_github:
        return "GitHub has this anchor, but the built manual's slug of that heading differs (reword the heading)"
    return "no heading with this anchor"


def links_of(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for number, line in strip_code(lines):
        for m in LINK.finditer(line):
            yield number, m.group(1)


def check_file(root, rel, in_manual):
    problems = []
    path = os.path.join(root, rel)
    docs = os.path.join(root, "docs")
    for number, target in links_of(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        where = f"{rel}:{number}: ({target})"
        file_part, _, anchor = target.partition("#")
        resolved = path if not file_part else os.path.normpath(os.path.join(os.path.dirname(path), file_part))
        if not os.path.exists(resolved):
            problems.append(f"{where}: {os.path.relpath(resolved, root)} does not exist")
            continue
        if in_manual and os.path.commonpath([resolved, docs]) != docs:
            problems.append(f"{where}: leaves docs/; the built manual has only what is under docs/")
            continue
        if anchor and resolved.endswith(".md"):
            why = check_anchor(resolved, anchor)
            if why:
                problems.append(f"{where}: #{anchor}: {why} in {os.path.relpath(resolved, root)}")
    return problems


def nav_pages(root):
    """The pages mkdocs.yml's nav lists (paths under docs/), or None without a mkdocs.yml."""
    path = os.path.join(root, "mkdocs.yml")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        text = f.read()
    nav = re.search(r"^nav:\s*\n((?:[ \t]+.*\n?|\s*\n)*)", text, re.MULTILINE)
    return set(re.findall(r"([\w./-]+\.md)\s*$", nav.group(1), re.MULTILINE)) if nav else set()


def check(root):
    problems = []
    listed = nav_pages(root)
    if listed is not None:
        docs = os.path.join(root, "docs")
        for folder, _, names in os.walk(docs):
            for name in sorted(names):
                page = os.path.relpath(os.path.join(folder, name), docs).replace(os.sep, "/")
                if name.endswith(".md") and page not in listed:
                    problems.append(f"docs/{page}: not in mkdocs.yml's nav (MkDocs 1.4 only notes this)")
    for rel in ("README.md", "configs/SCHEMA.md"):
        if os.path.exists(os.path.join(root, rel)):
            problems += check_file(root, rel, in_manual=False)
    for folder, _, names in os.walk(os.path.join(root, "docs")):
        for name in sorted(names):
            if name.endswith(".md"):
                problems += check_file(root, os.path.relpath(os.path.join(folder, name), root), in_manual=True)
    return problems


def self_test(root):
    """Plants one broken link of each kind in a scratch copy; each must be reported."""
    plants = [
        ("README.md", "[x](docs/no-such-page.md)", "does not exist"),
        ("README.md", "![x](docs/images/no-such.png)", "does not exist"),
        ("README.md", "[x](docs/architecture.md#no-such-heading)", "no heading"),
        ("README.md", "[x](scripts/no-such-script.sh)", "does not exist"),
        ("docs/index.md", "[x](architecture.md#no-such-heading)", "no heading"),
        ("docs/index.md", "[x](../README.md)", "leaves docs/"),
        ("docs/index.md", "[x](#no-such-heading-here)", "no heading"),
        ("docs/index.md", "[x](#a-planted-heading-set)\n\n## A planted heading --set", "GitHub's slug"),
        ("docs/orphan.md", "[x](index.md)", "not in mkdocs.yml's nav"),
    ]
    clean = check(root)
    if clean:
        print("self-test needs a clean tree; the tree has problems:", *clean, sep="\n  ")
        return 1
    failures = 0
    for file, link, expected in plants:
        with tempfile.TemporaryDirectory() as scratch:
            # The tracked tree's files, without .git and build folders (the links point anywhere in it).
            skipped = lambda name: name in (".git", "output", "gpu-bundle") or name.startswith("build")
            shutil.copytree(root, scratch, dirs_exist_ok=True,
                            ignore=lambda folder, names: [n for n in names if folder == root and skipped(n)])
            with open(os.path.join(scratch, file), "a", encoding="utf-8") as f:
                f.write(f"\nA planted link: {link}\n")
            target = link[link.index("](") + 2:link.index(")")]
            found = [p for p in check(scratch) if p.startswith(file + ":") and expected in p and
                     (f"({target})" in p or "nav" in expected)]
            print(f"planted ({target}) in {file}: " + (found[0] if found else "NOT CAUGHT"))
            failures += not found
    return 1 if failures else 0


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 and not argv[1].startswith("--") else ".")
    if "--self-test" in argv:
        return self_test(root)
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} broken link(s)")
        return 1
    print("every link from README.md, configs/SCHEMA.md and docs/ resolves, and every page is in the nav")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
