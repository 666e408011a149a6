"""Method-comparison statistics of a nightly index measured two ways.

Small pure functions of arrays, one value per night from a reference
scoring (technician, PSG) and from a test scoring (``plm`` on a device):
Bland & Altman bias and limits of agreement, the two-way intraclass
correlation ICC(2,1) for absolute agreement, Spearman's rank correlation,
Cohen's kappa, and the agreement of "index above a cut-off". Formulas and
sources: ``docs/validation.md``.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

__all__ = ["paired_values", "bland_altman", "icc_agreement", "spearman", "cohen_kappa", "cutoff_agreement", "ICC_FORM"]

ICC_FORM = ("ICC(2,1): two-way random effects, absolute agreement, single measurement "
            "(Shrout & Fleiss 1979 case 2; McGraw & Wong 1996 ICC(A,1))")


def paired_values(reference: Sequence[float], test: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of finite values of two equal-length sequences (a pair with a missing value is left out)."""
    a = np.asarray(reference, dtype=float).reshape(-1)
    b = np.asarray(test, dtype=float).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"reference and test differ in length ({a.size} vs {b.size})")
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def bland_altman(reference: Sequence[float], test: Sequence[float]) -> dict[str, Any]:
    """Bias and 95 % limits of agreement of ``test - reference`` (Bland & Altman 1986).

    Parameters
    ----------
    reference, test : array-like of float
        One value per night; pairs with a missing value (NaN) are left out.

    Returns
    -------
    dict
        ``n``; ``bias`` (mean difference); ``sd`` (SD of the differences,
        ddof=1); ``loa_low``, ``loa_high`` (bias -/+ 1.96 SD);
        ``bias_ci95`` ([low, high], bias +/- t(0.975, n-1) SD / sqrt(n));
        ``loa_ci95_halfwidth`` (t(0.975, n-1) * sqrt(3 SD**2 / n), the
        approximate 95 % confidence half-width of each limit, Bland & Altman
        1999); ``mean_reference``, ``mean_test``. NaN where undefined (n < 2).
    """
    from scipy import stats

    a, b = paired_values(reference, test)
    d = b - a
    n = int(d.size)
    nan = math.nan
    out: dict[str, Any] = {"n": n, "bias": nan, "sd": nan, "loa_low": nan, "loa_high": nan,
                           "bias_ci95": [nan, nan], "loa_ci95_halfwidth": nan,
                           "mean_reference": float(a.mean()) if n else nan,
                           "mean_test": float(b.mean()) if n else nan}
    if n == 0:
        return out
    bias = float(d.mean())
    out["bias"] = bias
    if n < 2:
        return out
    sd = float(d.std(ddof=1))
    t = float(stats.t.ppf(0.975, n - 1))
    out.update(sd=sd, loa_low=bias - 1.96 * sd, loa_high=bias + 1.96 * sd,
               bias_ci95=[bias - t * sd / math.sqrt(n), bias + t * sd / math.sqrt(n)],
               loa_ci95_halfwidth=t * math.sqrt(3.0 * sd * sd / n))
    return out


def icc_agreement(ratings: np.ndarray) -> dict[str, Any]:
    """ICC(2,1): two-way random-effects intraclass correlation, absolute agreement, single measure.

    From the two-way ANOVA of an ``n`` targets x ``k`` raters table (here
    nights x {reference, test}) with mean squares MSR (rows), MSC (columns)
    and MSE (residual)::

        ICC(2,1) = (MSR - MSE) / (MSR + (k - 1) MSE + k (MSC - MSE) / n)

    (Shrout & Fleiss 1979, case 2; McGraw & Wong 1996, ICC(A,1)). A
    systematic offset between the methods lowers it, unlike a correlation.
    The 95 % confidence interval is McGraw & Wong's (1996, table 7, case 2A)
    F-based interval with Satterthwaite's degrees of freedom.

    Parameters
    ----------
    ratings : array, shape (n, k)
        One row per night, one column per method; rows with a missing
        value are left out.

    Returns
    -------
    dict
        ``icc``, ``ci95`` ([low, high]), ``n``, ``k``, ``msr``, ``msc``,
        ``mse``; NaN where undefined (fewer than 2 complete rows, or no
        variance at all).
    """
    from scipy import stats

    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"ratings must be a 2-D array (targets x raters), got shape {x.shape}")
    x = x[np.all(np.isfinite(x), axis=1)]
    n, k = x.shape
    nan = math.nan
    out: dict[str, Any] = {"icc": nan, "ci95": [nan, nan], "n": int(n), "k": int(k),
                           "msr": nan, "msc": nan, "mse": nan}
    if n < 2 or k < 2:
        return out
    grand = x.mean()
    ss_rows = k * float(np.sum((x.mean(axis=1) - grand) ** 2))
    ss_cols = n * float(np.sum((x.mean(axis=0) - grand) ** 2))
    ss_err = float(np.sum((x - grand) ** 2)) - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = max(ss_err, 0.0) / ((n - 1) * (k - 1))
    out.update(msr=msr, msc=msc, mse=mse)
    denom = msr + (k - 1) * mse + k * (msc - mse) / n
    if not denom > 0:
        return out
    icc = (msr - mse) / denom
    out["icc"] = icc
    # McGraw & Wong (1996) table 7, ICC(A,1): F = MSR / (a MSC + b MSE)
    # with Satterthwaite's df for the denominator.
    if icc < 1.0:
        a = k * icc / (n * (1.0 - icc))
        b = 1.0 + k * icc * (n - 1) / (n * (1.0 - icc))
        v_den = (a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1))
        v = (a * msc + b * mse) ** 2 / v_den if v_den > 0 else math.inf
        f_low = float(stats.f.ppf(0.975, n - 1, v))
        f_high = float(stats.f.ppf(0.975, v, n - 1))
        low = n * (msr - f_low * mse) / (f_low * (k * msc + (k * n - k - n) * mse) + n * msr)
        high = n * (f_high * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_high * msr)
        out["ci95"] = [float(low), float(high)]
    return out


def spearman(reference: Sequence[float], test: Sequence[float]) -> dict[str, Any]:
    """Spearman's rank correlation (``scipy.stats.spearmanr``) of paired values.

    Parameters
    ----------
    reference, test : array-like of float
        Pairs with a missing value are left out.

    Returns
    -------
    dict
        ``r``, ``p`` (two-sided) and ``n``; NaN with fewer than 3 pairs or a
        constant variable.
    """
    from scipy import stats

    a, b = paired_values(reference, test)
    n = int(a.size)
    if n < 3 or np.all(a == a[0]) or np.all(b == b[0]):
        return {"r": math.nan, "p": math.nan, "n": n}
    res = stats.spearmanr(a, b)
    return {"r": float(res.statistic), "p": float(res.pvalue), "n": n}


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Cohen's (1960) kappa of two raters' categorical labels.

    ``(p_o - p_e) / (1 - p_e)``, where ``p_o`` is the observed proportion of
    agreement and ``p_e = sum_c p_a(c) p_b(c)`` the agreement expected by
    chance from the raters' marginal proportions.

    Parameters
    ----------
    a, b : array-like
        One label per item (e.g. per epoch or per night), equal lengths.

    Returns
    -------
    float
        NaN when there are no items or ``p_e`` is 1 (both raters give every
        item the same single label: agreement by chance cannot be told apart).
    """
    x = np.asarray(a).reshape(-1)
    y = np.asarray(b).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"label arrays differ in length ({x.size} vs {y.size})")
    if x.size == 0:
        return math.nan
    _, codes = np.unique(np.concatenate([x, y]), return_inverse=True)
    cx, cy = codes[: x.size], codes[x.size:]
    m = int(codes.max()) + 1
    po = float(np.mean(cx == cy))
    pe = float(np.sum(np.bincount(cx, minlength=m) * np.bincount(cy, minlength=m))) / (x.size * x.size)
    return (po - pe) / (1.0 - pe) if pe < 1.0 else math.nan


def cutoff_agreement(reference: Sequence[float], test: Sequence[float], cutoff: float) -> dict[str, Any]:
    """Agreement of "index above ``cutoff``" (e.g. PLMI > 15 /h) between two methods.

    Parameters
    ----------
    reference, test : array-like of float
        One index per night; pairs with a missing value are left out.
    cutoff : float
        A night is positive when its index is strictly above it.

    Returns
    -------
    dict
        ``cutoff``, ``n``, ``tp`` (both above), ``fn`` (only the reference
        above), ``fp`` (only the test above), ``tn``; ``sensitivity``
        (tp / (tp + fn)), ``specificity`` (tn / (tn + fp)), ``ppv``, ``npv``,
        ``agreement`` (proportion classified alike) and ``kappa``
        (:func:`cohen_kappa`); NaN where a denominator is 0.
    """
    a, b = paired_values(reference, test)
    ra, tb = a > cutoff, b > cutoff
    tp, fn = int(np.sum(ra & tb)), int(np.sum(ra & ~tb))
    fp, tn = int(np.sum(~ra & tb)), int(np.sum(~ra & ~tb))

    def ratio(num: int, den: int) -> float:
        return num / den if den else math.nan

    return {"cutoff": float(cutoff), "n": int(a.size), "tp": tp, "fn": fn, "fp": fp, "tn": tn,
            "sensitivity": ratio(tp, tp + fn), "specificity": ratio(tn, tn + fp),
            "ppv": ratio(tp, tp + fp), "npv": ratio(tn, tn + fn),
            "agreement": ratio(tp + tn, int(a.size)), "kappa": cohen_kappa(ra, tb)}
