"""One fact per setting: defined once in settings.py from the environment, documented in
the README, read as `settings.NAME`; one name, one meaning for shared constants."""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import global_settings, settings

from orders.models import PROBLEM_STATUSES
from postpurchase.models import LOCALES
from tests.processes import PROJECT_APPS
from tracking import progress, rendering

ROOT = Path(__file__).resolve().parent.parent


def _code_files():
    for app in PROJECT_APPS:  # bench has its own settings: not scanned
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts and path.name != "settings.py":
                yield path, ast.parse(path.read_text(), filename=str(path))


def _settings_reads():
    """(file, name, has_default) for every `settings.NAME` and `getattr(settings, "NAME")`."""
    for path, tree in _code_files():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "settings"
                and node.attr.isupper()
            ):
                yield path.relative_to(ROOT), node.attr, False
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "settings"
            ):
                name = node.args[1].value if isinstance(node.args[1], ast.Constant) else None
                yield path.relative_to(ROOT), name, len(node.args) > 2


def _defined_in_settings_py() -> set[str]:
    tree = ast.parse((ROOT / "postpurchase" / "settings.py").read_text())
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def test_code_reads_settings_without_defaults_of_its_own():
    with_default = [
        f"{path}: {name}" for path, name, has_default in _settings_reads() if has_default
    ]
    assert with_default == []


def test_every_setting_read_in_code_is_defined_in_settings_py_or_by_django():
    defined = _defined_in_settings_py() | {n for n in dir(global_settings) if n.isupper()}
    undefined = sorted(
        {f"{path}: {name}" for path, name, _ in _settings_reads() if name and name not in defined}
    )
    assert undefined == []


def test_every_environment_variable_is_in_the_readme_table():
    source = (ROOT / "postpurchase" / "settings.py").read_text()
    variables = set(re.findall(r'env_(?:str|bool|int|float|list)\("([A-Z_0-9]+)"', source))
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = "\n".join(line for line in table.splitlines() if line.startswith("| `"))
    documented = set(re.findall(r"`([A-Z_0-9]+)`", rows))
    assert len(variables) > 40
    assert sorted(variables - documented) == []


def test_touchpoint_engine_settings_come_from_the_environment():
    """The four knobs that lived only in notifications/conf.py are read from the environment."""
    code = (
        "import django, json; django.setup(); from notifications import conf; "
        "print(json.dumps([conf.send_batch_size(), conf.dispatch_limit(), "
        "conf.batch_fresh_seconds(), conf.requeue_after_seconds()]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "postpurchase.settings",
        "TOUCHPOINT_SEND_BATCH": "7",
        "TOUCHPOINT_DISPATCH_LIMIT": "123",
        "TOUCHPOINT_BATCH_FRESH_SECONDS": "3.5",
        "TOUCHPOINT_REQUEUE_AFTER_SECONDS": "2.5",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [7, 123, 3.5, 2.5]


def test_one_language_list():
    assert LOCALES is settings.LANGUAGES
    assert {code for code, _ in settings.LANGUAGES} == rendering.LANGUAGE_CODES
    literal = re.compile(r"""\(\s*["']da["']\s*,\s*["']Dansk["']\s*\)""")
    places = [str(path) for path, _ in _code_files() if literal.search(path.read_text())]
    places += (
        ["settings.py"] if literal.search((ROOT / "postpurchase/settings.py").read_text()) else []
    )
    assert places == ["settings.py"]


def test_problem_statuses_has_one_meaning():
    """The tracking page splits the problem statuses into amber and red; no second set
    goes by the same name."""
    assert progress.WARNING_STATUSES | progress.SEVERE_STATUSES == PROBLEM_STATUSES
    assert not progress.WARNING_STATUSES & progress.SEVERE_STATUSES
    defining = [
        str(path.relative_to(ROOT))
        for path, tree in _code_files()
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "PROBLEM_STATUSES" for t in node.targets)
    ]
    assert defining == ["orders/models.py"]


def test_each_module_alias_names_one_thing():
    """A one-letter alias (`S = Touchpoint.Status`) means the same wherever it is used."""
    meanings: dict[str, set[str]] = {}
    for _path, tree in _code_files():
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and len(target.id) == 1:
                    meanings.setdefault(target.id, set()).add(ast.unparse(node.value))
    assert {alias: m for alias, m in meanings.items() if len(m) > 1} == {}
