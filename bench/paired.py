"""Ratios of two measurements taken round by round in one run, paired by round (issue 16).

bench/run.sh measures the engines, the floor and the peer in interleaved rounds: round K of each
ran within a minute or two of the others, round K+1 maybe in another of this machine's load modes
(~2x apart). The ratio of two medians mixes the modes; the median of the per-round ratios compares
each round with its neighbour, so a busy minute slows both sides of its pair and cancels out.

The round lists are median_round.py's (round order, None for a round without a figure).
"""
import statistics


def ratios(ours, base, failed_ours=float("inf")):
    """ours[K] / base[K] for every round K where the base has a figure; a round where ours has
    none (did not finish, no probe) is failed_ours: inf where lower is better, 0.0 where higher is."""
    out = []
    for o, b in zip(ours or [], base or []):
        if not b:
            continue
        out.append(o / b if o else failed_ours)
    return out


def median(values):
    """The median (of an even count the mean of the two middle values), None for no values."""
    return statistics.median(values) if values else None


def median_ratio(ours, base, failed_ours=float("inf")):
    """The median of the paired ratios and the ratios themselves (round order)."""
    paired = ratios(ours, base, failed_ours)
    return median(paired), paired


def fmt_ratio(x, digits=2):
    """"1.23×"; more digits where a verdict hangs on the third (1.002 is not ≤ 1)."""
    if x is None:
        return "—"
    if x == float("inf"):
        return "∞"
    return f"{x:.{digits}f}×"
