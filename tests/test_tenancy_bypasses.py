"""Every way past the tenant wall is `.unscoped(reason="...")`, and it says why.

Django's machinery reaches tenant rows through each model's plain default manager
(postpurchase/tenancy.py); no code of ours names it. Every unscoped() call gives its
reason as a string literal, or a module constant holding one, so that
`grep -rn "unscoped(" --include=*.py .` lists every bypass with why it is there.
"""

import ast
from pathlib import Path

import pytest

from orders.models import Order
from postpurchase.tenancy import TenantScopeError

ROOT = Path(__file__).resolve().parent.parent
PLAIN_MANAGER = "all_" + "merchants"  # spelt apart, so this file does not name it either
SKIPPED_DIRS = {".git", ".venv", "var", "node_modules", "migrations", "__pycache__"}
TENANCY_CORE = ROOT / "postpurchase" / "tenancy.py"


def _sources() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts) and path != TENANCY_CORE
    )


def _text_constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _unscoped_calls_without_a_reason(path: Path) -> tuple[int, list[str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    constants = _text_constants(tree)
    calls, missing = 0, []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "unscoped"
        ):
            continue
        calls += 1
        reason = next((k.value for k in node.keywords if k.arg == "reason"), None)
        if isinstance(reason, ast.Name):
            reason = ast.Constant(constants.get(reason.id))
        if node.args or not (
            isinstance(reason, ast.Constant)
            and isinstance(reason.value, str)
            and reason.value.strip()
        ):
            missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return calls, missing


def test_no_code_names_the_plain_manager():
    named = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _sources()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PLAIN_MANAGER in line
    ]
    assert named == [], "use Model.objects.for_merchant(m) or .unscoped(reason=...)"


def test_every_unscoped_call_gives_its_reason_in_the_code():
    calls, missing = 0, []
    for path in _sources():
        if path == Path(__file__).resolve():
            continue  # its last test calls unscoped() badly on purpose
        found, without = _unscoped_calls_without_a_reason(path)
        calls += found
        missing += without
    assert calls > 40  # the scan sees the bypasses there are
    assert missing == [], 'give each unscoped() a reason="..." (a literal or module constant)'


def test_unscoped_without_a_reason_is_refused_when_it_runs():
    with pytest.raises(TypeError):
        Order.objects.unscoped()
    with pytest.raises(TenantScopeError):
        Order.objects.unscoped(reason=" ")
    assert Order.objects.unscoped(reason="test: the query is built").model is Order
