"""The PNG chart of a bench/run.py result: one bar panel per workload (pyjac's time / the peer's,
log scale: bars left of 1 are peers pyjac beats) and W6's scaling curves.

    python bench/plot.py bench/results/latest.json bench/results/latest.png
"""

import json
import sys

PEER_COLORS = {
    "pyjac": "#444444",
    "torch": "#ee4c2c",
    "jax": "#5e97f6",
    "hips-autograd": "#8e44ad",
    "mygrad": "#16a085",
    "micrograd": "#d4ac0d",
    "numpy": "#7f8c8d",
    "python": "#7f8c8d",
}


def plot(results, path):
    """Writes the chart; returns False (with a note) when matplotlib isn't installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (no chart: matplotlib is not installed; pip install matplotlib)")
        return False
    bars = [(w, r) for w, r in results["workloads"].items() if "rows" in r]
    w6 = results["workloads"].get("W6")
    n_panels = len(bars) + (3 if w6 else 0)
    cols = 3 if n_panels > 4 else max(1, n_panels)
    nrows = -(-n_panels // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(6.2 * cols, 4.3 * nrows), squeeze=False)
    axes = [a for row in axes for a in row]
    for ax, (_, res) in zip(axes, bars):
        rows = [r for r in res["rows"] if r["name"] != r["ref"]]
        names = [r["name"] + ("" if r["agrees"] else " (differs!)") for r in rows]
        ratios = [r["ratio"] for r in rows]
        colors = [PEER_COLORS.get(r["peer"], "#999999") for r in rows]
        y = range(len(rows))
        ax.barh(list(y), ratios, color=colors)
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", lw=1)
        ax.set_yticks(list(y))
        ax.set_yticklabels(names, fontsize=7.5)
        ax.invert_yaxis()
        for yi, r in zip(y, ratios):
            ax.text(r, yi, f" {r:.3g}x", va="center", fontsize=7)
        ref = res["rows"][0]
        ax.set_title(f"{res['title']}\npyjac ({ref['name']}) {_fmt(ref['median_s'])}", fontsize=8.5)
        ax.set_xlabel("pyjac time / peer time  (<1: pyjac faster)", fontsize=8)
        lo, hi = min(ratios + [1.0]), max(ratios + [1.0])
        ax.set_xlim(lo / 3, hi * 6)
    rest = axes[len(bars) :]
    if w6:
        chain = w6.get("chain", [])
        peers = list(dict.fromkeys(r["peer"] for r in chain))
        ax = rest[0]
        for p in peers:
            pts = sorted((r["length"], r["per_op_s"] * 1e6) for r in chain if r["peer"] == p)
            ax.plot(*zip(*pts), "o-", label=p, color=PEER_COLORS.get(p.split()[0], None))
        _loglog(ax, "W6 chain: time per op vs length", "chain length (steps of mul, add, tanh)", "us per op")
        ax = rest[1]
        for p in peers:
            pts = sorted((r["length"], r["peak_growth_mb"]) for r in chain if r["peer"] == p and r["peak_growth_mb"])
            if pts:
                ax.plot(*zip(*pts), "o-", label=p, color=PEER_COLORS.get(p.split()[0], None))
        _loglog(ax, "W6 chain: peak memory growth vs length", "chain length", "MB")
        ax = rest[2]
        elem = w6.get("elementwise", [])
        for name in dict.fromkeys(r["name"] for r in elem if r["peer"] != "pyjac"):
            pts = sorted((r["size"], r["ratio"]) for r in elem if r["name"] == name)
            peer = next(r["peer"] for r in elem if r["name"] == name)
            ax.plot(*zip(*pts), "o-", label=f"pyjac / {name}", color=PEER_COLORS.get(peer))
        ax.axhline(1.0, color="black", lw=1)
        _loglog(ax, "W6 elementwise tanh(x) * x, sum, backward", "elements", "pyjac time / peer time")
    for ax in axes[n_panels:]:
        ax.axis("off")
    m = results["machine"]
    fig.suptitle(
        f"pyjac vs peers ({'quick' if results['options'].get('quick') else 'full'} run): "
        f"{m['cpu']}, {m['usable_cpus']} cores; medians; {m['date']}",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _loglog(ax, title, xlabel, ylabel):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title(title, fontsize=8.5)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(True, which="major", alpha=0.3)


def _fmt(s):
    return f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} us"


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        res = json.load(f)
    out = sys.argv[2] if len(sys.argv) > 2 else sys.argv[1].rsplit(".", 1)[0] + ".png"
    if plot(res, out):
        print(f"wrote {out}")
