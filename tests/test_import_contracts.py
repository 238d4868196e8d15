"""The house's floors: the core imports no app, nothing imports upward, no new circles.

The contracts are import-linter's, configured in pyproject.toml; the circles are found
with grimp (import-linter's graph library) among the project's own modules, imports
inside functions included.
"""

import re
import subprocess
import sys

import grimp

from tests.processes import PROJECT_APPS, ROOT

# Circles that exist today, each with why it is still there. A new circle fails the
# test; so does one of these going away (then delete it here).
KNOWN_CIRCLES: dict[frozenset[str], str] = {}


def import_circles(graph: grimp.ImportGraph) -> set[frozenset[str]]:
    """Every strongly connected component of two or more modules (Tarjan, iterative)."""
    imports = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: set[frozenset[str]] = set()

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)

    for root in sorted(imports):
        if root in index:
            continue
        visit(root)
        work = [(root, iter(imports[root]))]
        while work:
            module, pending = work[-1]
            target = next(pending, None)
            if target is not None:
                if target not in index:
                    visit(target)
                    work.append((target, iter(imports[target])))
                elif target in on_stack:
                    low[module] = min(low[module], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == module:
                        break
                if len(component) > 1:
                    circles.add(frozenset(component))
    return circles


def test_import_linter_contracts_are_kept():
    """pyproject.toml's contracts: the core imports no app; layers hold."""
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(no_cache=True, no_logo=True))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_no_import_circle_between_project_modules_but_the_known_ones():
    circles = import_circles(grimp.build_graph(*PROJECT_APPS))
    new = [sorted(c) for c in circles - KNOWN_CIRCLES.keys()]
    gone = [sorted(c) for c in KNOWN_CIRCLES.keys() - circles]
    assert not new, f"new import circles: {new}"
    assert not gone, f"these circles are gone, delete them from KNOWN_CIRCLES: {gone}"


def test_the_circle_finder_finds_a_planted_circle_and_nothing_else():
    graph = grimp.ImportGraph()
    for importer, imported in [("a.x", "a.y"), ("a.y", "a.z"), ("a.z", "a.x"), ("a.z", "a.w")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_circles(graph) == {frozenset({"a.x", "a.y", "a.z"})}


def test_the_readmes_app_table_names_every_project_package():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| App | What it holds |") :].split("\n\n")[0]
    assert set(re.findall(r"^\| `(\w+)/` \|", table, re.M)) == set(PROJECT_APPS)
    on_disk = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert on_disk == set(PROJECT_APPS)
