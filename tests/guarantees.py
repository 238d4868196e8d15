"""The figures behind docs/guarantees.md, collected by tests and printed after a run.

Tests call `record(section, check, **figures)`; pytest's terminal summary prints
one table per section (faults, inputs, isolation, security), so CI's log shows
how many faults were injected, messages sent, lost and duplicated, how many bad
inputs were tried and what they got, and how many isolation checks were made.
"""

from collections import defaultdict

_ROWS: dict[str, list[tuple[str, dict]]] = defaultdict(list)

SECTIONS = {
    "faults": "Faults injected (real worker, beat, Redis, PostgreSQL)",
    "inputs": "Bad inputs tried and their outcomes",
    "isolation": "Tenant isolation checks (merchant B asking for merchant A's data)",
    "security": "Security and abuse checks",
}


def record(section: str, check: str, **figures) -> None:
    _ROWS[section].append((check, figures))


def _table(rows: list[tuple[str, dict]]) -> list[str]:
    columns: list[str] = []
    for _, figures in rows:
        columns.extend(c for c in figures if c not in columns)
    # Free-text notes read best as the last column.
    columns.sort(key=lambda c: c == "notes")
    header = ["check", *columns]
    body = [[check, *(str(figures.get(c, "")) for c in columns)] for check, figures in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells):
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in body)]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _ROWS:
        return
    terminalreporter.section("guarantees: what was proven in this run")
    for section, rows in _ROWS.items():
        terminalreporter.write_line("")
        terminalreporter.write_line(SECTIONS.get(section, section))
        for text in _table(rows):
            terminalreporter.write_line("  " + text)
