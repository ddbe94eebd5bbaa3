"""The evaluation figure: capture curves with their spread, per-origin hit rates, reliability."""

from __future__ import annotations

import os

import numpy as np

__all__ = ["plot_evaluation", "universe_note"]


def _label(name: str) -> str:
    return name.replace("_", " ")


def universe_note(result: dict) -> str:
    """Say which cells the figure's shares of the area are of ("" when the result does not say).

    Each origin ranks its universe (the cells within the KDE's bandwidth of an earlier event
    by default), not the map's cells: on the piracy incidents at resolution 4 that was 2.6
    times the map's area, so "1 % of area flagged" was 2.6 % of the map.
    """
    what = result.get("universe")
    origins = [o for o in result.get("origins") or [] if isinstance(o, dict)]
    cells = [o["n_cells"] for o in origins if isinstance(o.get("n_cells"), int | float)]
    area = [o["area_km2"] for o in origins if isinstance(o.get("area_km2"), int | float)]
    if not isinstance(what, str) or not what or not cells or not area:
        return ""

    def span(v: list, spec: str) -> str:
        lo, hi = format(min(v), spec), format(max(v), spec)
        return lo if lo == hi else f"{lo}-{hi}"

    return (
        f"Area: {what} ({span(cells, ',.0f')} cells, {span(area, ',.0f')} km² at the "
        "origins), not the cells the map shows."
    )


def plot_evaluation(result: dict, path: str | os.PathLike, *, area_fraction: float = 0.05) -> None:
    """Write ``evaluation.png``: curves and spread of a :func:`rolling_back_test` result.

    Panels: (1) mean hit rate against the share of area flagged (log axis) with a ±1 SD band
    over origins, per method; (2) the hit rate of every origin at ``area_fraction`` (the
    nearest reported share), one column per method, mean marked; (3) when a method published
    expected counts, its reliability: mean expected against mean observed events per decile.

    Parameters
    ----------
    result : dict
        The output of :func:`~pipeline.evaluate.rolling_back_test`.
    path : str or os.PathLike
        PNG to write (atomically).
    area_fraction : float, default 0.05
        Share of area of the per-origin panel.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io import atomic_path

    calib = {k: v for k, v in (result.get("calibration") or {}).items() if v}
    n_panels = 3 if calib else 2
    fig, axes = plt.subplots(1, n_panels, figsize=(5.2 * n_panels, 4.2), dpi=100)
    ax_curve, ax_orig = axes[0], axes[1]
    if "summary" not in result:
        for ax in axes:
            ax.axis("off")
        axes[0].text(
            0.0, 0.5, f"Back-test skipped:\n{result.get('skipped', 'no result')}", wrap=True
        )
    else:
        grid = np.asarray(result["curve_area_fractions"], dtype="float64") * 100
        names = list(result["summary"])
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, name in enumerate(names):
            c = result["summary"][name]["curve"]
            mean = np.array([np.nan if v is None else v for v in c["mean"]], dtype="float64")
            sd = np.array([np.nan if v is None else v for v in c["sd"]], dtype="float64")
            color = colors[i % len(colors)]
            ax_curve.plot(grid, mean * 100, color=color, label=_label(name), lw=1.6)
            ax_curve.fill_between(
                grid, (mean - sd) * 100, (mean + sd) * 100, color=color, alpha=0.12, lw=0
            )
        ax_curve.set_xscale("log")
        ax_curve.set_xlabel("share of the area ranked that is flagged (%)")
        ax_curve.set_ylabel("share of later events captured (%)")
        n = len(result["origins"])
        ax_curve.set_title(f"Hit rate, mean ± SD over {n} origins")
        ax_curve.grid(alpha=0.3, which="both")
        ax_curve.legend(fontsize=8)

        fractions = [row["area_fraction"] for row in result["summary"][names[0]]["at"]]
        k = int(np.argmin(np.abs(np.asarray(fractions) - area_fraction)))
        for i, name in enumerate(names):
            vals = result["summary"][name]["at"][k]["hit_rate"]["values"]
            v = np.array([np.nan if x is None else x for x in vals], dtype="float64") * 100
            jitter = np.linspace(-0.15, 0.15, v.size) if v.size > 1 else np.zeros(v.size)
            ax_orig.scatter(i + jitter, v, s=14, color=colors[i % len(colors)], alpha=0.8)
            if np.isfinite(v).any():
                ax_orig.hlines(np.nanmean(v), i - 0.3, i + 0.3, color="black", lw=1.5)
        ax_orig.set_xticks(range(len(names)))
        ax_orig.set_xticklabels([_label(n) for n in names], rotation=30, ha="right", fontsize=8)
        ax_orig.set_ylabel(f"hit rate at {fractions[k] * 100:g} % of area (%)")
        ax_orig.set_title("Per origin (bar: mean)")
        ax_orig.grid(alpha=0.3, axis="y")

        if calib:
            ax_cal = axes[2]
            top = 0.0
            for name, cal in calib.items():
                e = np.array([np.nan if x is None else x for x in cal["counts"]["mean_expected"]])
                o = np.array([np.nan if x is None else x for x in cal["counts"]["mean_observed"]])
                ax_cal.plot(
                    e,
                    o,
                    "o-",
                    color=colors[names.index(name) % len(colors)],
                    ms=4,
                    label=_label(name),
                )
                top = max(top, float(np.nanmax(np.r_[e, o, 0.0])))
            ax_cal.plot([0, top], [0, top], color="grey", lw=1, ls="--", label="perfect")
            ax_cal.set_xlabel("mean expected events per cell (decile)")
            ax_cal.set_ylabel("mean observed events per cell")
            ax_cal.set_title("Reliability of expected counts")
            ax_cal.grid(alpha=0.3)
            ax_cal.legend(fontsize=8)
    said = universe_note(result)
    if said:
        # which cells the shares of the area are of: not the map's (the panel says both)
        fig.text(0.005, 0.01, said, fontsize=7, color="0.3", ha="left", va="bottom", wrap=True)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    else:
        fig.tight_layout()
    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
    plt.close(fig)
