#!/usr/bin/env python3
"""Fails if the modules of any workspace crate import each other in a cycle.

For every crate root of every workspace member (`src/lib.rs`, `src/main.rs`,
`src/bin/*.rs`), follows the `mod` declarations to build the module tree, then
collects each module's references to other modules of the same crate:
`use crate::…` / `use super::…` / `use self::…` trees and `crate::…`,
`super::…`, `self::…` paths in code. A reference to `crate::a::b::Item` is an
edge to the deepest module on the path (`a::b` if that is a module, else
`a`); a name that module imports or re-exports (`pub use x::Item`) is followed
to where it comes from, so going through a re-export does not hide a cycle.

Not counted: comments (doc links are not dependencies), string literals,
`pub(in …)` visibilities, `$crate` in macros, edges from a module to itself
or to its own descendants (a parent declares and re-exports its children), and
`#[cfg(test)]` modules and `use` items.

Usage: check-imports.py [-v] [WORKSPACE_DIR]; the default workspace is the
one this script is in. Exits 1 and prints each cycle with the file and line of
every edge in it, unless the cycle is listed in KNOWN_CYCLES below. `-v` also prints every crate's edges. Needs Python 3.11
(tomllib).
"""

from __future__ import annotations

import glob
import os
import sys
import tomllib
from dataclasses import dataclass, field

# --------------------------------------------------------------------------
# Lexing: identifiers and punctuation, without comments, strings and chars.
# --------------------------------------------------------------------------


@dataclass
class Tok:
    text: str
    line: int


def _ident_start(c: str) -> bool:
    return c.isalpha() or c == "_"


def _ident_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _skip_raw_string(src: str, i: int) -> int:
    """`i` at the first `#` or `"` after the `r`; returns the index after it."""
    hashes = 0
    while i < len(src) and src[i] == "#":
        hashes += 1
        i += 1
    if i >= len(src) or src[i] != '"':
        raise ValueError("not a raw string")
    closing = '"' + "#" * hashes
    end = src.find(closing, i + 1)
    return len(src) if end < 0 else end + len(closing)


def _skip_string(src: str, i: int) -> int:
    """`i` at the opening `"`; returns the index after the closing one."""
    i += 1
    while i < len(src):
        if src[i] == "\\":
            i += 2
            continue
        if src[i] == '"':
            return i + 1
        i += 1
    return i


def lex(src: str) -> list[Tok]:
    toks: list[Tok] = []
    i, line, n = 0, 1, len(src)
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif src.startswith("//", i):
            end = src.find("\n", i)
            i = n if end < 0 else end
        elif src.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if src.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif src.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    line += src[i] == "\n"
                    i += 1
        elif c == '"':
            end = _skip_string(src, i)
            line += src.count("\n", i, end)
            i = end
        elif c in "brc" and _string_prefix(src, i):
            j, raw = i, False
            while src[j] in "brc":
                raw |= src[j] == "r"
                j += 1
            end = _skip_raw_string(src, j) if raw else _skip_string(src, j)
            line += src.count("\n", i, end)
            i = end
        elif c == "'":
            # A char literal ('a', '\n', '\u{..}') or a lifetime ('a).
            if i + 1 < n and src[i + 1] == "\\":
                end = src.find("'", i + 3)
                i = n if end < 0 else end + 1
            elif i + 2 < n and src[i + 2] == "'":
                i += 3
            else:
                i += 1  # lifetime: the name lexes as an identifier
        elif c == "r" and src.startswith("r#", i) and i + 2 < n and _ident_start(src[i + 2]):
            j = i + 2
            while j < n and _ident_char(src[j]):
                j += 1
            toks.append(Tok(src[i + 2 : j], line))
            i = j
        elif _ident_start(c):
            j = i
            while j < n and _ident_char(src[j]):
                j += 1
            toks.append(Tok(src[i:j], line))
            i = j
        elif c.isdigit():
            j = i
            while j < n and (_ident_char(src[j]) or src[j] == "."):
                if src[j] == "." and src.startswith("..", j):
                    break
                j += 1
            i = j
        elif src.startswith("::", i):
            toks.append(Tok("::", line))
            i += 2
        else:
            toks.append(Tok(c, line))
            i += 1
    return toks


def _string_prefix(src: str, i: int) -> bool:
    """Whether `src[i:]` starts a b"", br"", r"", r#""#, c"" or cr"" literal."""
    if i > 0 and _ident_char(src[i - 1]):
        return False
    rest = src[i : i + 4]
    for prefix in ('b"', "br\"", "br#", 'r"', "r#\"", "r##", 'c"', 'cr"', "cr#"):
        if rest.startswith(prefix):
            return True
    return False


# --------------------------------------------------------------------------
# Parsing: modules, `use` trees, paths.
# --------------------------------------------------------------------------


@dataclass
class Ref:
    segments: list[str]
    line: int


@dataclass
class Module:
    path: tuple[str, ...]
    file: str
    # Directory in which the files of this module's `mod x;` children live.
    child_dir: str
    children: set[str] = field(default_factory=set)
    refs: list[Ref] = field(default_factory=list)
    # name -> path segments, from `use` items (including `pub use`).
    aliases: dict[str, list[str]] = field(default_factory=dict)


class CrateParser:
    def __init__(self, root_file: str):
        self.modules: dict[tuple[str, ...], Module] = {}
        self.root_file = root_file
        self._parse_file(root_file, (), os.path.dirname(root_file))

    def _parse_file(self, file: str, path: tuple[str, ...], child_dir: str) -> None:
        with open(file, encoding="utf-8") as f:
            toks = lex(f.read())
        module = Module(path, file, child_dir)
        self.modules[path] = module
        self._parse_items(toks, 0, len(toks), module)

    def _parse_items(self, toks: list[Tok], i: int, end: int, module: Module) -> None:
        """Scans `toks[i:end]`, the body of `module`."""
        attrs: list[list[str]] = []
        while i < end:
            t = toks[i].text
            if t == "#" and i + 1 < end and toks[i + 1].text in ("[", "!"):
                j = i + 1
                if toks[j].text == "!":
                    j += 1
                close = _matching(toks, j)
                if toks[i + 1].text == "[":
                    attrs.append([x.text for x in toks[j + 1 : close]])
                i = close + 1
                continue
            if t == "pub" and i + 1 < end and toks[i + 1].text == "(":
                # pub(crate), pub(super), pub(in crate::a): not a dependency.
                i = _matching(toks, i + 1) + 1
                continue
            if t == "mod" and i + 2 < end and toks[i + 2].text in (";", "{"):
                name = toks[i + 1].text
                test_only = any(a[:4] == ["cfg", "(", "test", ")"] for a in attrs)
                path_attr = next((a for a in attrs if a[:1] == ["path"]), None)
                if toks[i + 2].text == ";":
                    if not test_only:
                        self._declare_file_module(module, name, path_attr)
                    i += 3
                else:
                    close = _matching(toks, i + 2)
                    if not test_only:
                        child = Module(
                            module.path + (name,),
                            module.file,
                            os.path.join(module.child_dir, name),
                        )
                        module.children.add(name)
                        self.modules[child.path] = child
                        self._parse_items(toks, i + 3, close, child)
                    i = close + 1
                attrs = []
                continue
            if t == "use" and (i == 0 or toks[i - 1].text != "::"):
                semi = i
                while semi < end and toks[semi].text != ";":
                    semi += 1
                test_only = any(a[:4] == ["cfg", "(", "test", ")"] for a in attrs)
                if not test_only:
                    for segments, alias in _use_tree(toks[i + 1 : semi]):
                        module.refs.append(Ref(segments, toks[i].line))
                        if alias not in (None, "_", "*"):
                            module.aliases[alias] = segments
                i = semi + 1
                attrs = []
                continue
            if t in ("crate", "super", "self") and i + 1 < end and toks[i + 1].text == "::":
                if i > 0 and toks[i - 1].text in ("$", "::"):
                    i += 1
                    continue
                segments, i = _path(toks, i, end)
                module.refs.append(Ref(segments, toks[i - 1].line))
                continue
            if t in (";", "{", "}"):
                attrs = []
            i += 1

    def _declare_file_module(self, parent: Module, name: str, path_attr) -> None:
        if path_attr is not None:
            # #[path = "file.rs"]: the attribute's string literal was lexed
            # away, so such modules are not followed.
            print(f"warning: {parent.file}: #[path] module {name} not followed", file=sys.stderr)
            return
        for candidate, child_dir in (
            (os.path.join(parent.child_dir, name + ".rs"), os.path.join(parent.child_dir, name)),
            (os.path.join(parent.child_dir, name, "mod.rs"), os.path.join(parent.child_dir, name)),
        ):
            if os.path.isfile(candidate):
                parent.children.add(name)
                self._parse_file(candidate, parent.path + (name,), child_dir)
                return
        print(f"warning: {parent.file}: no file for `mod {name};`", file=sys.stderr)


def _matching(toks: list[Tok], open_index: int) -> int:
    pairs = {"(": ")", "[": "]", "{": "}"}
    opener = toks[open_index].text
    closer = pairs[opener]
    depth = 0
    for j in range(open_index, len(toks)):
        if toks[j].text == opener:
            depth += 1
        elif toks[j].text == closer:
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1


def _path(toks: list[Tok], i: int, end: int) -> tuple[list[str], int]:
    """`a::b::c` starting at `toks[i]`; returns the segments and the index after."""
    segments = [toks[i].text]
    i += 1
    while i + 1 < end and toks[i].text == "::" and _is_ident(toks[i + 1].text):
        segments.append(toks[i + 1].text)
        i += 2
    return segments, i


def _is_ident(text: str) -> bool:
    return bool(text) and _ident_start(text[0])


def _use_tree(toks: list[Tok]) -> list[tuple[list[str], str | None]]:
    """Flattens a `use` tree into (path, name it binds) pairs."""
    out: list[tuple[list[str], str | None]] = []

    def walk(i: int, prefix: list[str]) -> int:
        if i < len(toks) and toks[i].text == "::":  # `use ::std::…`
            i += 1
        segments = list(prefix)
        while i < len(toks):
            t = toks[i].text
            if t == "{":
                i += 1
                while i < len(toks) and toks[i].text != "}":
                    i = walk(i, segments)
                    if i < len(toks) and toks[i].text == ",":
                        i += 1
                return i + 1
            if t == "*":
                out.append((segments, "*"))
                return i + 1
            if _is_ident(t) and t != "as":
                segments = segments + [t]
                i += 1
                if i < len(toks) and toks[i].text == "::":
                    i += 1
                    continue
                alias = segments[-1]
                if i + 1 < len(toks) and toks[i].text == "as":
                    alias = toks[i + 1].text
                    i += 2
                if segments[-1] == "self":
                    segments = segments[:-1]
                    alias = alias if alias != "self" else (segments[-1] if segments else None)
                out.append((segments, alias))
                return i
            return i + 1
        return i

    i = 0
    while i < len(toks):
        i = walk(i, [])
        if i < len(toks) and toks[i].text == ",":
            i += 1
    return out


# --------------------------------------------------------------------------
# Resolution and cycles.
# --------------------------------------------------------------------------


class Graph:
    def __init__(self, modules: dict[tuple[str, ...], Module]):
        self.modules = modules
        # module -> target -> first (file, line) seen
        self.edges: dict[tuple[str, ...], dict[tuple[str, ...], tuple[str, int]]] = {
            m: {} for m in modules
        }
        for module in modules.values():
            for ref in module.refs:
                target = self.resolve(module.path, ref.segments, 0)
                if target is None or target[: len(module.path)] == module.path:
                    continue  # external, itself, or one of its descendants
                self.edges[module.path].setdefault(target, (module.file, ref.line))

    def resolve(self, cur: tuple[str, ...], segments: list[str], depth: int):
        if depth > 16 or not segments:
            return None
        head, rest = segments[0], list(segments[1:])
        if head == "crate":
            base: tuple[str, ...] = ()
        elif head == "self":
            base = cur
        elif head == "super":
            base = cur
            rest = list(segments)
            while rest and rest[0] == "super":
                base = base[:-1]
                rest.pop(0)
        elif cur + (head,) in self.modules:
            base = cur + (head,)
        elif head in self.modules[cur].aliases and self.modules[cur].aliases[head] != segments:
            target = self.resolve(cur, self.modules[cur].aliases[head], depth + 1)
            if target is None:
                return None
            base = target
        else:
            return None  # another crate, or a name defined in `cur`
        while rest and base + (rest[0],) in self.modules:
            base = base + (rest.pop(0),)
        if rest and rest[0] in self.modules[base].aliases:
            via = self.resolve(base, self.modules[base].aliases[rest[0]], depth + 1)
            if via is not None:
                return via
        return base

    def cycles(self) -> list[list[tuple[str, ...]]]:
        """Strongly connected components with more than one module (Tarjan)."""
        index: dict[tuple[str, ...], int] = {}
        low: dict[tuple[str, ...], int] = {}
        stack: list[tuple[str, ...]] = []
        on_stack: set[tuple[str, ...]] = set()
        found: list[list[tuple[str, ...]]] = []
        counter = [0]

        def strongconnect(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on_stack.add(v)
            for w in sorted(self.edges[v]):
                if w not in index:
                    strongconnect(w)
                    low[v] = min(low[v], low[w])
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

        sys.setrecursionlimit(10_000)
        for v in sorted(self.modules):
            if v not in index:
                strongconnect(v)
        return found

    def cycle_path(self, component: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """One cycle through the component's first module (breadth-first)."""
        members = set(component)
        start = component[0]
        previous: dict[tuple[str, ...], tuple[str, ...]] = {}
        queue = [start]
        while queue:
            v = queue.pop(0)
            for w in sorted(self.edges[v]):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return list(reversed(path)) + [start]
                if w not in previous:
                    previous[w] = v
                    queue.append(w)
        return component


def name(path: tuple[str, ...]) -> str:
    return "crate::" + "::".join(path) if path else "crate"


# --------------------------------------------------------------------------
# The workspace.
# --------------------------------------------------------------------------

# Cycles tolerated while they wait for their fix, by crate root and exact set
# of modules (none now: oneshot-core's two were fixed). A listed cycle is
# still printed; one that grows or changes fails the check.
KNOWN_CYCLES: dict[str, list[set[str]]] = {}


def crate_roots(member_dir: str) -> list[tuple[str, str]]:
    with open(os.path.join(member_dir, "Cargo.toml"), "rb") as f:
        manifest = tomllib.load(f)
    package = manifest.get("package", {}).get("name", os.path.basename(member_dir))
    roots: list[tuple[str, str]] = []
    lib = manifest.get("lib", {}).get("path", "src/lib.rs")
    if os.path.isfile(os.path.join(member_dir, lib)):
        roots.append((f"{package} (lib)", os.path.join(member_dir, lib)))
    bins = {os.path.normpath(b["path"]) for b in manifest.get("bin", []) if "path" in b}
    if os.path.isfile(os.path.join(member_dir, "src/main.rs")):
        bins.add("src/main.rs")
    for pattern in ("src/bin/*.rs", "src/bin/*/main.rs"):
        bins.update(os.path.relpath(p, member_dir) for p in glob.glob(os.path.join(member_dir, pattern)))
    for b in sorted(bins):
        roots.append((f"{package} (bin {b})", os.path.join(member_dir, b)))
    return roots


def main() -> int:
    args = sys.argv[1:]
    verbose = "-v" in args
    paths = [a for a in args if a != "-v"]
    workspace = paths[0] if paths else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(workspace, "Cargo.toml"), "rb") as f:
        members = tomllib.load(f)["workspace"]["members"]
    member_dirs = sorted(
        {d for pattern in members for d in glob.glob(os.path.join(workspace, pattern))}
    )
    failed = False
    for member_dir in member_dirs:
        for label, root in crate_roots(member_dir):
            graph = Graph(CrateParser(root).modules)
            edge_count = sum(len(e) for e in graph.edges.values())
            cycles = graph.cycles()
            known = KNOWN_CYCLES.get(label, [])
            status = "no cycle" if not cycles else f"{len(cycles)} cycle(s)"
            print(f"{label}: {len(graph.modules)} modules, {edge_count} edges, {status}")
            if verbose:
                for source in sorted(graph.edges):
                    for target, (file, line) in sorted(graph.edges[source].items()):
                        rel = os.path.relpath(file, workspace)
                        print(f"    {name(source)} -> {name(target)}  ({rel}:{line})")
            for component in cycles:
                allowed = {name(m) for m in component} in known
                failed |= not allowed
                path = graph.cycle_path(component)
                what = "known cycle (listed in KNOWN_CYCLES)" if allowed else "modules in a cycle"
                print(f"  {what}: {', '.join(name(m) for m in component)}")
                print(f"  one cycle: {' -> '.join(name(m) for m in path)}")
                for a, b in zip(path, path[1:]):
                    file, line = graph.edges[a][b]
                    print(f"    {name(a)} -> {name(b)} at {os.path.relpath(file, workspace)}:{line}")
    if failed:
        print("import cycles found: make the imports point one way", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
