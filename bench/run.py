"""pyjac side by side with its peers: every workload on pyjac and on every peer that is
importable, interleaved in one process; medians and ratios (pyjac's time / the peer's: below 1
pyjac is faster); every peer's result checked against pyjac's.

  W1  per-op overhead: 0-d float64, 1000 x y = tanh(y * 1.01 + 0.1), backward
  W2  training step, float32: tanh MLP 784-256-256-10 on a batch of 128, MSE loss, backward
  W3  Jacobian 256 x 256 of tanh(A2 @ tanh(A1 @ x + b1) + b2)
  W4  Hessian 128 x 128 of sum(tanh(A @ x)**2)
  W5  tiny Jacobian: M @ v, v (3,), M (3, 3), w.r.t. M
  W6  scaling: W1's chain at 10^3 .. 10^6 steps (time per op, peak memory, a subprocess each);
      tanh(x) * x, sum, backward at 1 .. 10^7 elements against NumPy by hand
  W7  per-sample gradients: vmap(grad) of a float32 MLP 784-128-10's cross-entropy, batch 64
  W8  batched Jacobians: vmap(jacrev) of a float64 tanh network 16-32-16, batch 128

Peers (each skipped with a note when not installed; `pip install ".[bench]"` gets them all):
torch (eager, torch.autograd.functional, torch.func), HIPS autograd, jax (eager and jit), mygrad,
micrograd (W1), and hand-written NumPy / Python-float derivatives as the floor.

  python bench/run.py                 # full run, ~5-10 minutes on 2 cores
  python bench/run.py --quick         # ~1-2 minutes: fewer repeats, W6 to 10^5 steps / 10^6 elements
  python bench/run.py --only W3,W4 --json out.json --plot out.png
"""

import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import batching  # noqa: E402
import harness  # noqa: E402
import jacobians  # noqa: E402
import overhead  # noqa: E402
import scaling  # noqa: E402
import training  # noqa: E402
from harness import fmt_ratio, fmt_time, print_rows, run_candidates  # noqa: E402

WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8"]

SETTINGS = {
    # repeats: timed rounds (each timing covers >= min_time s of calls); budget: seconds of timed
    # rounds per workload (at least 3 rounds); pause: wait before each timing, so the thread
    # pools of the candidate before (OpenBLAS spins ~0.1 s) are parked (see harness.measure)
    "full": {
        "repeats": 15,
        "min_time": 0.1,
        "budget": 60.0,
        "pause": 0.15,
        "chain_max": 10**6,
        "chain_cap": 40.0,
        "chain_repeats": 3,
        "elem_max": 10**7,
        "elem_repeats": 7,
        "elem_budget": 8.0,
    },
    "quick": {
        "repeats": 3,
        "min_time": 0.02,
        "budget": 5.0,
        "pause": 0.15,
        "chain_max": 10**5,
        "chain_cap": 3.0,
        "chain_repeats": 2,
        "elem_max": 10**6,
        "elem_repeats": 3,
        "elem_budget": 1.0,
    },
}

TITLES = {
    "W1": overhead.TITLE,
    "W2": training.TITLE,
    **jacobians.TITLES,
    "W6": "W6 scaling: W1's chain 10^3..10^6 steps; tanh(x) * x + backward at 1..10^7 elements",
    **batching.TITLES,
}
TOLS = {"W1": overhead.TOL, "W2": training.TOL, **jacobians.TOL, **batching.TOL}


def candidates_for(w, notes):
    if w == "W1":
        return overhead.candidates(notes=notes)
    if w == "W2":
        return training.candidates(notes=notes)
    if w in batching.TITLES:
        return batching.candidates(w, notes=notes)
    return jacobians.candidates(w, notes=notes)


def run_workload(w, s, notes):
    cands = candidates_for(w, notes)
    if not cands or cands[0].peer != "pyjac":
        raise SystemExit(f"{w}: pyjac itself could not be set up")
    print(f"  timing {len(cands)} candidates: " + ", ".join(c.name for c in cands), flush=True)
    rows = run_candidates(cands, s["repeats"], s["min_time"], s["budget"], TOLS[w], pause=s["pause"])
    print_rows(rows, indent="    ")
    return {"title": TITLES[w], "rows": rows, "tolerance": TOLS[w]}


def run_w6(s, notes):
    print("  chain (one subprocess per peer and length):", flush=True)
    lengths = [10**k for k in range(3, 7) if 10**k <= s["chain_max"]]
    chain = scaling.run_chain(
        lengths,
        scaling.CHAIN_PEERS,
        s["chain_repeats"],
        s["chain_cap"],
        notes,
        progress=lambda m: print("  " + m, flush=True),
    )
    scaling.print_chain(chain)
    print("  elementwise (interleaved in this process):", flush=True)
    sizes = [10**k for k in range(0, 8) if 10**k <= s["elem_max"]]
    elem = scaling.run_elementwise(
        sizes,
        s["elem_repeats"],
        s["elem_budget"],
        notes,
        pause=s["pause"],
        min_time=s["min_time"],
        progress=lambda m: print("  " + m, flush=True),
    )
    scaling.print_elementwise(elem)
    return {"title": TITLES["W6"], "chain": chain, "elementwise": elem}


# --------------------------------------------------------------------------------------------
# summary


COLUMNS = [  # (column title, which rows of a workload belong to it)
    ("torch", lambda r: r["peer"] == "torch"),
    ("HIPS autograd", lambda r: r["peer"] == "hips-autograd"),
    ("jax (eager)", lambda r: r["peer"] == "jax" and "jit" not in r["name"]),
    ("jax.jit", lambda r: r["peer"] == "jax" and "jit" in r["name"]),
    ("mygrad", lambda r: r["peer"] == "mygrad"),
    ("micrograd", lambda r: r["peer"] == "micrograd"),
    ("NumPy / floats by hand", lambda r: r["peer"] in ("numpy", "python")),
]
SHORT = {
    "W1": "W1 per-op overhead (1000 steps)",
    "W2": "W2 MLP training step (float32)",
    "W3": "W3 Jacobian 256 x 256",
    "W4": "W4 Hessian 128 x 128",
    "W5": "W5 Jacobian (3, 3, 3)",
    "W7": "W7 per-sample gradients",
    "W8": "W8 vmap(jacrev)",
}


def _api(r):
    """The short API label of a row for the summary table."""
    n = r["name"]
    if n.startswith("torch...") and "(vectorize=True)" in n:
        return "functional." + n[len("torch...") :]
    for prefix, repl in (
        ("torch.autograd.functional.", "functional."),
        ("torch.func.", "func."),
        ("jax.jit(jax.", "jit("),
        ("pyjac ", ""),
        ("hips-autograd ", ""),
    ):
        if n.startswith(prefix):
            return repl + n[len(prefix) :]
    return {
        "torch (eager)": "backward()",
        "jax.grad (eager)": "grad",
        "jax.jacrev (eager)": "jacrev",
        "jax.hessian (eager)": "hessian",
        "mygrad (row by row)": "row by row",
        "micrograd (relu variant)": "relu variant",
        "python floats (hand-written)": "floats",
    }.get(n, "")


def summary_markdown(results):
    """A markdown table: each workload's pyjac time, and for each peer its fastest way, with
    pyjac's ratio to it; a row that disagrees with pyjac is marked."""
    ws = {w: r for w, r in results["workloads"].items() if "rows" in r}
    cols = [(t, sel) for t, sel in COLUMNS if any(sel(r) for res in ws.values() for r in res["rows"])]
    lines = ["| workload | pyjac | " + " | ".join(t for t, _ in cols) + " |", "| --- | --- |" + " --- |" * len(cols)]
    for w, res in ws.items():
        ref = res["rows"][0]
        cells = [f"{fmt_time(ref['median_s'])} `{_api(ref)}`" if _api(ref) else fmt_time(ref["median_s"])]
        for _, sel in cols:
            rows = [r for r in res["rows"] if sel(r)]
            if not rows:
                cells.append("")
                continue
            best = min(rows, key=lambda r: r["median_s"])
            api = _api(best)
            cells.append(
                f"{fmt_time(best['median_s'])}{f' `{api}`' if api else ''} ({fmt_ratio(best['ratio'])})"
                + ("" if best["agrees"] else " DIFFERS")
            )
        lines.append(f"| {SHORT.get(w, w)} | " + " | ".join(cells) + " |")
    w6 = results["workloads"].get("W6")
    if w6:
        lines += [
            "",
            "W6 chain (time per op = mul, add or tanh, forward plus its share of backward; "
            "peak = growth of the peak resident set over the call):",
            "",
        ]
        peers = list(dict.fromkeys(r["peer"] for r in w6["chain"]))
        lengths = sorted({r["length"] for r in w6["chain"]})
        by = {(r["peer"], r["length"]): r for r in w6["chain"]}
        lines += ["| steps | " + " | ".join(peers) + " |", "| --- |" + " --- |" * len(peers)]
        for L in lengths:
            cells = []
            for p in peers:
                r = by.get((p, L))
                if r is None:
                    cells.append("skipped")
                    continue
                mem = f", {r['peak_growth_mb']:.0f} MB" if r["peak_growth_mb"] is not None else ""
                ratio = "" if p == "pyjac" else f" ({fmt_ratio(r['ratio'])})"
                cells.append(f"{r['per_op_s'] * 1e6:.3g} us/op{mem}{ratio}")
            lines.append(f"| 10^{int(round(math.log10(L)))} | " + " | ".join(cells) + " |")
        names = list(dict.fromkeys(r["name"] for r in w6["elementwise"]))
        sizes = sorted({r["size"] for r in w6["elementwise"]})
        by = {(r["name"], r["size"]): r for r in w6["elementwise"]}
        lines += [
            "",
            "W6 elementwise `tanh(x) * x`, `sum`, `backward` (float64):",
            "",
            "| elements | " + " | ".join(names) + " |",
            "| --- |" + " --- |" * len(names),
        ]
        for n in sizes:
            cells = []
            for name in names:
                r = by.get((name, n))
                if r is None:
                    cells.append("")
                    continue
                cells.append(fmt_time(r["median_s"]) + ("" if r["peer"] == "pyjac" else f" ({fmt_ratio(r['ratio'])})"))
            lines.append(f"| 10^{int(round(math.log10(n)))} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _clean(x):
    """JSON has no inf/nan: they become null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repeats, smaller W6 (about 1-2 minutes)")
    ap.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads, e.g. W3,W4")
    ap.add_argument(
        "--json",
        metavar="PATH",
        help="where to write the results (default bench/results/latest.json, or quick.json with --quick)",
    )
    ap.add_argument("--plot", metavar="PATH", help="where to write the PNG chart (default beside the JSON, same name)")
    ap.add_argument("--repeats", type=int, help="timed rounds per workload (overrides the mode's)")
    ap.add_argument("--pause", type=float, help="seconds waited before each timing (default 0.15)")
    args = ap.parse_args(argv)
    only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    bad = [w for w in only if w not in WORKLOADS]
    if bad:
        ap.error(f"unknown workload(s) {', '.join(bad)}; choose from {', '.join(WORKLOADS)}")
    mode = "quick" if args.quick else "full"
    s = dict(SETTINGS[mode])
    if args.repeats:
        s["repeats"] = args.repeats
    if args.pause is not None:
        s["pause"] = args.pause
    json_path = args.json or os.path.join(HERE, "results", "quick.json" if args.quick else "latest.json")
    plot_path = args.plot or os.path.splitext(json_path)[0] + ".png"

    try:  # jax: float64 arrays need x64, switched on before any jax array exists
        import jax

        jax.config.update("jax_enable_x64", True)
    except ImportError:
        pass
    machine = harness.machine_info()
    print(f"pyjac benchmark ({mode} run), {machine['date']}")
    print(harness.describe_machine(machine))
    print(
        "ratio = pyjac's median time / the peer's (below 1: pyjac is faster); "
        "every result is checked against pyjac's\n",
        flush=True,
    )

    results = {"machine": machine, "options": {"quick": args.quick, "only": only, **s}, "workloads": {}, "notes": []}
    t_start = time.perf_counter()
    for i, w in enumerate(only, 1):
        t0 = time.perf_counter()
        print(f"[{i}/{len(only)}] {TITLES[w]}", flush=True)
        notes = []
        res = run_w6(s, notes) if w == "W6" else run_workload(w, s, notes)
        res["notes"] = notes
        res["elapsed_s"] = time.perf_counter() - t0
        results["workloads"][w] = res
        results["notes"] += [f"{w}: {n}" for n in notes]
        print(f"  ({w} done in {res['elapsed_s']:.1f} s)\n", flush=True)
    results["elapsed_s"] = time.perf_counter() - t_start

    md = summary_markdown(results)
    results["summary_markdown"] = md
    print("Summary (medians; in parentheses pyjac's time / the peer's; each peer's fastest way):\n")
    print(md)
    disagreements = [
        f"{w}: {r['name']}"
        for w, res in results["workloads"].items()
        for r in res.get("rows", []) + res.get("chain", []) + res.get("elementwise", [])
        if not r.get("agrees", True)
    ]
    print(
        "\nall results agree with pyjac's"
        if not disagreements
        else "\nRESULTS THAT DIFFER FROM PYJAC'S: " + "; ".join(disagreements)
    )
    if results["notes"]:
        print("notes:\n  " + "\n  ".join(results["notes"]))

    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(_clean(results), f, indent=1)
    print(f"\nwrote {json_path}")
    import plot

    if plot.plot(results, plot_path):
        print(f"wrote {plot_path}")
    print(f"total {results['elapsed_s']:.0f} s")
    return results


if __name__ == "__main__":
    main()
