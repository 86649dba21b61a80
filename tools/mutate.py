"""Mutation testing, run on demand (not in CI): does the suite notice when the code changes?

Each mutant changes one thing in one module: a comparison (< to <=, == to !=, in to not in, ...), an
arithmetic or bitwise operator (+ to -, << to >>, & to |, ...), and/or, a dropped ``not`` or unary
minus, an integer constant plus one, or True for False. The mutated expression is spliced into the
source in place, so everything else (comments, docstrings, line numbers of other lines) stays as it is.
Each mutant runs the module's doctests and the test files that cover it, in a copy of the checkout, and
is *killed* when they fail (or time out) and *survives* when they pass (with ``--confirm``, only if the
whole suite passes too). Survivors are printed with their line so that a
person can judge each one: a missing test, or an equivalent mutant (one that cannot change behaviour).

    python tools/mutate.py codesim/measures.py                     # the default tests for the module
    python tools/mutate.py codesim/files/container.py --jobs 2 --tests tests/files/test_container.py
    python tools/mutate.py codesim/measures.py --list               # the mutants, without running them
    python tools/mutate.py codesim/*.py --sample 40 --seed 1        # a random sample of 40 per module

Results go to stdout as one line per mutant and a summary; ``--json FILE`` keeps them.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The test files that exercise each module (a mutant there is judged by these alone).
COVERING = {
    "codesim/measures.py": ["test_measures", "simulation/test_simulate", "sources/test_estimate", "sources/test_continuous",
                            "simulation/test_verification", "simulation/test_experiments"],
    "codesim/coders/base.py": ["coders/test_prefix", "coders/test_prefix_family", "coders/test_prefix_speed", "coders/test_block",
                               "files/test_container", "coders/test_schemes", "test_limits", "test_guards"],
    "codesim/coders/prefix.py": ["coders/test_prefix", "coders/test_prefix_family", "coders/test_block", "coders/test_schemes",
                                 "test_hostile_values"],
    "codesim/coders/rans_v1.py": ["coders/test_rans", "files/test_container"],
    "codesim/coders/rans.py": ["coders/test_rans", "test_guards", "files/test_container", "coders/test_schemes", "test_limits",
                               "test_readme"],
    "codesim/coders/rangecoder.py": ["coders/test_arithmetic", "coders/test_bitstreams", "test_guards", "coders/test_adaptive", "files/test_container",
                                     "coders/test_schemes", "test_limits", "coders/test_frequencies", "test_readme"],
    "codesim/coders/frequencies.py": ["coders/test_frequencies", "coders/test_arithmetic", "coders/test_rans", "files/test_container",
                                      "coders/test_schemes", "test_hostile_values"],
    "codesim/files/container.py": ["files/test_container", "test_guards", "test_cli_files", "test_limits",
                             "files/test_hostile_files", "test_hostile_values"],
    "codesim/scenario.py": ["test_scenario", "test_cli", "sources/test_files", "sources/test_continuous", "sources/test_estimate",
                            "simulation/test_experiments", "test_hostile_values", "test_scenario_fuzz", "test_readme"],
    "codesim/simulation/simulate.py": ["simulation/test_simulate", "simulation/test_streaming", "simulation/test_verification", "simulation/test_experiments",
                            "test_cli", "test_guards", "test_limits", "test_readme"],
}

SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.LShift: ast.RShift, ast.RShift: ast.LShift,
    ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd, ast.BitXor: ast.BitOr, ast.And: ast.Or, ast.Or: ast.And,
}


@dataclass
class Mutant:
    module: str
    line: int
    what: str
    source: str = ""
    outcome: str = ""
    seconds: float = 0.0


def _inert_nodes(tree: ast.AST) -> set[int]:
    """Docstrings and annotations: changing them cannot change behaviour (annotations are strings here)."""
    found = set()
    for node in ast.walk(tree):
        for note in [getattr(node, "annotation", None), getattr(node, "returns", None)]:
            if note is not None:
                found.update(id(n) for n in ast.walk(note))
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _variants(node: ast.AST):
    """(description, mutated copy of node) for each mutation of this one node."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in SWAPS:
                new = ast.Compare(node.left, list(node.ops), node.comparators)
                new.ops[i] = SWAPS[type(op)]()
                yield f"{type(op).__name__} -> {SWAPS[type(op)].__name__}", new
    elif isinstance(node, ast.BinOp) and type(node.op) in SWAPS:
        yield f"{type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}", ast.BinOp(
            node.left, SWAPS[type(node.op)](), node.right)
    elif isinstance(node, ast.BoolOp):
        yield f"{type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}", ast.BoolOp(
            SWAPS[type(node.op)](), node.values)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        yield f"drop {type(node.op).__name__}", node.operand
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield f"{node.value} -> {not node.value}", ast.Constant(not node.value)
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        yield f"{node.value} -> {node.value + 1}", ast.Constant(node.value + 1)


def mutants(module: str) -> list[tuple[Mutant, str]]:
    """Every mutant of ``module`` with its whole mutated source."""
    text = (ROOT / module).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    raw = text.encode("utf-8")
    tree = ast.parse(text)
    skip = _inert_nodes(tree)
    inside_fstring = {id(n) for f in ast.walk(tree) if isinstance(f, ast.JoinedStr) for n in ast.walk(f)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skip or id(node) in inside_fstring or not hasattr(node, "lineno"):
            continue
        if getattr(node, "end_lineno", None) is None:
            continue
        start = offsets[node.lineno - 1] + node.col_offset
        end = offsets[node.end_lineno - 1] + node.end_col_offset
        for what, new in _variants(node):
            spliced = raw[:start] + f"({ast.unparse(new)})".encode("utf-8") + raw[end:]
            try:
                compile(spliced, module, "exec")
            except SyntaxError:
                continue
            found.append((Mutant(module, node.lineno, what, lines[node.lineno - 1].strip()),
                          spliced.decode("utf-8")))
    return found


def run(mutant: Mutant, mutated: str, tests: list[str], workdir: Path, timeout: float) -> Mutant:
    target = workdir / mutant.module
    original = target.read_text(encoding="utf-8")
    target.write_text(mutated, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(workdir), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                               "--no-header", *tests], cwd=workdir, env=env, capture_output=True,
                              timeout=timeout)
        mutant.outcome = "survived" if done.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        mutant.outcome = "killed (timeout)"
    finally:
        target.write_text(original, encoding="utf-8")
    mutant.seconds = round(time.monotonic() - start, 1)
    return mutant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="+")
    parser.add_argument("--tests", nargs="*", help="test files (default: the module's covering tests)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--sample", type=int, help="run a random sample of this many mutants per module")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample")
    parser.add_argument("--confirm", action="store_true",
                        help="run a survivor again against the whole suite before calling it a survivor")
    parser.add_argument("--rerun", metavar="JSON",
                        help="run only the survivors recorded in this --json file (with --confirm: the whole suite)")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--json", help="write every mutant and its outcome here")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = []
    for module in args.modules:
        found = mutants(module)
        work += rng.sample(found, min(args.sample, len(found))) if args.sample and not args.rerun else found
    if args.rerun:
        # matched by what changed on which line of code, not the line's number: edits move lines
        wanted = {(m["module"], m["what"], m["source"])
                  for m in json.loads(Path(args.rerun).read_text()) if m["outcome"] == "survived"}
        work = [(m, src) for m, src in work if (m.module, m.what, m.source) in wanted]
    if args.list:
        for m, _ in work:
            print(f"{m.module}:{m.line}: {m.what}: {m.source}")
        print(f"{len(work)} mutants")
        return
    scratch = Path(tempfile.mkdtemp(prefix="codesim-mutate-"))
    dirs = []
    for j in range(args.jobs):
        d = scratch / f"w{j}"
        shutil.copytree(ROOT, d, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info"))
        dirs.append(d)
    free = list(dirs)

    def one(item):
        m, src = item
        d = free.pop()
        try:
            tests = args.tests or [m.module] + [f"tests/{t}.py" for t in COVERING.get(m.module, [])]
            m = run(m, src, tests, d, args.timeout)
            if m.outcome == "survived" and args.confirm:
                m = run(m, src, ["tests", "codesim"], d, args.timeout)
            return m
        finally:
            free.append(d)

    results = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for m in pool.map(one, work):
            results.append(m)
            print(f"{m.outcome:16} {m.seconds:6.1f}s {m.module}:{m.line}: {m.what}: {m.source}", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    killed = sum(m.outcome.startswith("killed") for m in results)
    print(f"{len(results)} mutants: {killed} killed, {len(results) - killed} survived")
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(m) for m in results], indent=1))


if __name__ == "__main__":
    main()
