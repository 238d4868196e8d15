"""The table printed at the end of a run, from bench/results.json's numbers."""

import json

from bench.harness.config import GOALS, wanted


def fmt(value, unit="", digits=0):
    if value is None:
        return "n/a"
    if value == float("inf"):
        return "never"
    return f"{value:,.{digits}f}{unit}"


def spread(result: dict, key: str) -> str:
    """`median (lowest-highest)` when the figure is a median of several runs."""
    low, high = result.get(f"{key}_min"), result.get(f"{key}_max")
    if low is None or len(result.get("runs", ())) < 2:
        return fmt(result[key])
    return f"{fmt(result[key])} ({fmt(low)}–{fmt(high)})"


def cpu_row(label: str, result: dict, key: str) -> tuple:
    """CPU time per unit in the process under test, over each run: it moves less with load."""
    values = [run.get(key) for run in result.get("runs", [result]) if run.get(key) is not None]
    return (label, " / ".join(fmt(v, " ms", 2) for v in values) or "n/a", "", "", "")


def not_measured(section: str, result: dict, label: str = "") -> tuple:
    if not wanted(section):
        return (label or section, "not run (BENCH_ONLY)", "", "", "")
    why = result.get("note") or result.get("error", "")
    return (label or section, "not available" if result.get("note") else "error", "", "", why)


def table(results: dict) -> str:
    rows = [("measure", "Postpurchase", "baseline", "ratio", "goal")]
    tr = results.get("tracking", {})
    if tr.get("available"):
        rows.append(
            (
                "tracking page rps (32 clients)",
                fmt(tr["app"]["rps"]),
                fmt(tr["baseline"]["rps"]) + " static tmpl",
                fmt(tr["ratio"], digits=2),
                "ratio ≥ 0.8",
            )
        )
        rows.append(
            (
                "tracking page p50 / p99",
                f"{fmt(tr['app']['p50_ms'], ' ms', 1)} / {fmt(tr['app']['p99_ms'], ' ms', 1)}",
                f"{fmt(tr['baseline']['p50_ms'], ' ms', 1)} / "
                f"{fmt(tr['baseline']['p99_ms'], ' ms', 1)}",
                "",
                "p99 < 50 ms",
            )
        )
    else:
        rows.append(not_measured("tracking", tr, "tracking page"))
    ing = results.get("ingestion", {})
    if "single" in ing:
        raw = ing["raw_psycopg2"]["orders_per_s"]
        rows.append(
            (
                "ingest single orders/s"
                + (" (median)" if len(ing["single"].get("runs", ())) > 1 else ""),
                spread(ing["single"], "orders_per_s"),
                fmt(raw) + " raw SQL",
                fmt(ing["single_ratio"], digits=3),
                f"≥ {GOALS['single_orders_per_s']:,}/s, lowest run",
            )
        )
        rows.append(cpu_row("  web CPU per order", ing["single"], "web_cpu_ms_per_order"))
        rows.append(
            (
                "ingest batch orders/s",
                fmt(ing["batch"]["orders_per_s"]),
                fmt(raw) + " raw SQL",
                fmt(ing["batch_ratio"], digits=3),
                f"≥ {GOALS['batch_orders_per_s']:,}/s",
            )
        )
    else:
        rows.append(not_measured("ingestion", ing))
    dis = results.get("dispatch", {})
    if "per_s" in dis:
        rows.append(
            (
                "dispatch delivered/s" + (" (median)" if len(dis.get("runs", ())) > 1 else ""),
                spread(dis, "per_s"),
                spread({**dis, "runs": dis.get("noop_runs", ())}, "noop_per_s") + " no-op",
                fmt(dis["ratio"], digits=2),
                f"≥ {GOALS['dispatch_per_s']:,}/s, lowest run",
            )
        )
        rows.append(cpu_row("  worker CPU per email", dis, "worker_cpu_ms_per_email"))
    else:
        rows.append(not_measured("dispatch", dis))
    tim = results.get("timeliness", {})
    if "congratulation" in tim:
        for key, label, goal in (
            ("congratulation", "order → congratulation p50/p99", "p99 < 5 s"),
            ("sms", "scan → SMS p50/p99", "p99 < 10 s"),
        ):
            s = tim[key]
            rows.append(
                (
                    label,
                    f"{fmt(s['p50_s'], ' s', 2)} / {fmt(s['p99_s'], ' s', 2)}",
                    f"{s['missing']} missing",
                    "",
                    goal,
                )
            )
    else:
        rows.append(not_measured("timeliness", tim))
    sc = results.get("scale", {})
    if "growth" in sc:
        for key, label in (
            ("tracking_p50_ms", "tracking page (miss)"),
            ("dispatch_pass_ms", "dispatcher pass, nothing due"),
            ("calls_p50_ms", "call queue page"),
            ("metrics_p50_ms", "metrics page"),
        ):
            sql_key = key.replace("_p50_ms", "_sql_ms")
            sql = (
                f"SQL {fmt(sc['small'].get(sql_key), ' ms', 1)} → "
                f"{fmt(sc['large'].get(sql_key), ' ms', 1)}"
                if sql_key != key and sql_key in sc["small"]
                else ""
            )
            rows.append(
                (
                    f"{label} @ {sc['small']['orders']:,} → {sc['large']['orders']:,}",
                    f"{fmt(sc['small'].get(key), ' ms', 1)} → {fmt(sc['large'].get(key), ' ms', 1)}",
                    sql,
                    fmt(sc["growth"].get(key), "×", 2),
                    "growth < 1.5×",
                )
            )
        scans = {k: v for k, v in sc["large"].get("seq_scans", {}).items() if v}
        rows.append(("seq scans on big tables", json.dumps(scans) if scans else "none", "", "", ""))
        generated = sc["large"]["orders"] - sc["small"]["orders"]
        seconds = sc["large"].get("generate_s")
        if seconds:
            rows.append(
                (
                    "scale data generation",
                    f"{generated:,} orders in {seconds:.0f} s ({generated / seconds:,.0f}/s)",
                    "",
                    "",
                    "",
                )
            )
    else:
        rows.append(not_measured("scale", sc))
    widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
