"""Effect sizes for outcome change: reliable and clinically significant change.

Jacobson & Truax (1991, J Consult Clin Psychol 59:12-19) judge an individual's
change against measurement error:

* standard error of measurement ``SEM = sd * sqrt(1 - r)``;
* standard error of a difference ``S_diff = sqrt(2) * SEM``;
* reliable change index ``RCI = (after - before) / S_diff``; ``|RCI| > 1.96``
  is a change larger than measurement error alone would produce 95% of the time;
* criterion c, the point between the clinical (1) and functional (0)
  populations weighted by their spreads: ``c = (sd0 * mean1 + sd1 * mean0) /
  (sd0 + sd1)``.

Examples
--------
>>> import helpstats as hs
>>> out = hs.reliable_change([20, 20], [10, 19], sd=5.0, reliability=0.8,
...                          higher_is="worse")
>>> out[["change", "category"]].to_dict("list")
{'change': [-10.0, -1.0], 'category': ['reliably improved', 'no reliable change']}
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._dask.elementwise import rowwise
from .errors import InstrumentError, ReliabilityError
from .instruments import Instrument, Scale, load_instrument

__all__ = ["reliable_change"]

CATEGORIES = ("reliably improved", "no reliable change", "reliably deteriorated")
UNDIRECTED = ("reliable increase", "no reliable change", "reliable decrease")
RELIABILITY_STATISTICS = ("test_retest", "alpha")


@rowwise
def reliable_change(
    before: Any,
    after: Any,
    *,
    sd: float | None = None,
    reliability: float | None = None,
    instrument: str | Path | Instrument | None = None,
    scale: str = "total",
    higher_is: str | None = None,
    reliability_from: Sequence[str] = RELIABILITY_STATISTICS,
    cutoff: float | None = None,
    critical: float = 1.96,
) -> pd.DataFrame:
    """Reliable change index and clinically significant change per person.

    Parameters
    ----------
    before, after : array-like or pandas.Series
        Scale scores of the same people at two occasions, same length,
        paired by position. The result keeps the index of ``before`` when it
        is a Series. Missing
        scores give missing results for that person (nothing is dropped).
    sd : float, optional
        Standard deviation of the scale in the reference (usually
        pre-treatment) population. Defaults to the scale's published
        ``sd`` reference value (``instrument`` needed).
    reliability : float, optional
        Reliability of the scale, in ``[0, 1)``. Defaults to the first
        published reference value of the scale among ``reliability_from``.
    instrument : str, path or Instrument, optional
        Supplies the defaults above, the scale's direction (``higher_is``)
        and its norms for criterion c.
    scale : str
        Scale id within ``instrument`` (default ``"total"``).
    higher_is : {"worse", "better"}, optional
        Direction of the scale. Defaults to the instrument scale's
        ``higher_is``. Without a direction (no instrument, no ``higher_is``)
        the categories say only which way the score moved (``reliable
        increase``, ``no reliable change``, ``reliable decrease``) and a
        warning asks for the direction; helpstats never guesses which way is
        better.
    reliability_from : sequence of str
        Which published reliability to use, in order of preference. The
        default ``("test_retest", "alpha")`` follows Jacobson & Truax, who
        used test-retest reliability, and falls back to internal consistency.
        Pass ``("alpha",)`` to use alpha only.
    cutoff : float, optional
        Criterion c. Defaults to the value computed from the scale's
        ``clinical`` and ``functional`` norms; without a cutoff or norms the
        clinical-significance columns are omitted.
    critical : float
        Critical value of ``|RCI|`` (default 1.96, two-sided 5%).

    Returns
    -------
    pandas.DataFrame
        ``before, after, change, rci, category`` where ``change = after -
        before`` and ``category`` is ``reliably improved``, ``no reliable
        change`` or ``reliably deteriorated`` (ordered categorical; missing
        when a score is missing; the undirected labels above when the
        direction is unknown). With a cutoff also
        ``clinically_significant`` (moved from the clinical to the functional
        side of c: strictly beyond c afterwards, not beyond it before) and
        ``recovered`` (clinically significant and reliably improved;
        Jacobson & Truax's "recovered"). ``attrs`` records ``sd``,
        ``reliability``, ``reliability_statistic``, ``sem``, ``s_diff``,
        ``cutoff`` and ``higher_is``.

    Raises
    ------
    helpstats.errors.ReliabilityError
        ``sd`` or ``reliability`` is neither given nor published for the
        scale, the direction is unknown, a value is out of range, or the
        score vectors differ in length or are not numeric.
    helpstats.errors.InstrumentError
        The instrument or its scale does not exist.

    Examples
    --------
    SD 5 and reliability 0.84 give SEM = 2, S_diff = 2.828 and RCI = -7 /
    2.828 = -2.47 for a drop of 7 points:

    >>> import helpstats as hs
    >>> out = hs.reliable_change([18.0], [11.0], sd=5.0, reliability=0.84,
    ...                          higher_is="worse", cutoff=14.0)
    >>> round(float(out["rci"].iloc[0]), 4), out["category"].iloc[0]
    (-2.4749, 'reliably improved')
    >>> bool(out["recovered"].iloc[0])
    True
    """
    before_s = _as_series(before, "before")
    after_s = _as_series(after, "after")
    if len(before_s) != len(after_s):
        raise ReliabilityError(
            f"before has {len(before_s)} scores but after has {len(after_s)}; "
            "pass the two occasions' scores of the same people, in the same order."
        )
    after_s.index = before_s.index

    scale_def = _scale(instrument, scale) if instrument is not None else None
    direction = higher_is or (scale_def.higher_is if scale_def is not None else None)
    if direction not in ("worse", "better", None):
        raise ReliabilityError(
            f"higher_is must be 'worse' (e.g. depression) or 'better' (e.g. empowerment); "
            f"found {direction!r}."
        )
    sd_value = _sd(sd, scale_def, scale)
    r_value, r_statistic = _reliability(reliability, scale_def, scale, reliability_from)
    c_value = cutoff if cutoff is not None else _criterion_c(scale_def)
    if direction is None:
        if c_value is not None:
            raise ReliabilityError(
                "a cutoff for clinically significant change needs the scale's direction; pass "
                "higher_is='worse' or 'better', or an instrument whose scale defines it."
            )
        warnings.warn(
            "the direction of the scale is unknown, so changes are labelled 'reliable increase'"
            " / 'reliable decrease'; pass higher_is='worse' (e.g. depression) or 'better' "
            "(e.g. empowerment), or instrument=, to label them improved / deteriorated.",
            UserWarning, stacklevel=2,
        )

    sem = sd_value * math.sqrt(1.0 - r_value)
    s_diff = math.sqrt(2.0) * sem
    change = after_s - before_s
    rci = change / s_diff
    improving = -1.0 if direction == "worse" else 1.0
    names = CATEGORIES if direction is not None else UNDIRECTED
    signed = rci * improving
    labels = np.where(signed > critical, names[0],
                      np.where(signed < -critical, names[2], names[1]))
    category = pd.Categorical(
        pd.Series(labels, index=rci.index).where(rci.notna()),
        categories=list(names), ordered=True,
    )
    out = pd.DataFrame(
        {"before": before_s, "after": after_s, "change": change, "rci": rci,
         "category": category},
        index=before_s.index,
    )
    if c_value is not None:
        complete = before_s.notna() & after_s.notna()
        functional_after = (after_s - c_value) * improving > 0
        functional_before = (before_s - c_value) * improving > 0
        significant = functional_after & ~functional_before
        out["clinically_significant"] = significant.where(complete).astype("boolean")
        recovered = significant & (out["category"] == CATEGORIES[0])
        out["recovered"] = recovered.where(complete).astype("boolean")
    out.attrs.update({
        "sd": sd_value, "reliability": r_value, "reliability_statistic": r_statistic,
        "sem": sem, "s_diff": s_diff, "cutoff": c_value, "higher_is": direction,
    })
    return out


def _as_series(values: Any, name: str) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise ReliabilityError(
                f"{name} is a table with {values.shape[1]} columns; pass one column of scores."
            )
        values = values.iloc[:, 0]
    series = pd.Series(values).copy() if not isinstance(values, pd.Series) else values.copy()
    try:
        return pd.to_numeric(series).astype(float)
    except (TypeError, ValueError):
        raise ReliabilityError(
            f"{name} holds non-numeric values; pass scale scores (numbers, NaN for missing)."
        ) from None


def _scale(instrument: str | Path | Instrument, scale: str) -> Scale:
    inst = load_instrument(instrument)
    try:
        return inst.scale(scale)
    except KeyError as exc:
        raise InstrumentError(str(exc.args[0]) + "; pass scale=<one of them>.") from None


def _sd(sd: float | None, scale_def: Scale | None, scale: str) -> float:
    if sd is None and scale_def is not None:
        published = scale_def.reference("sd")
        if published is not None:
            sd = published.value
    if sd is None:
        where = (f"scale {scale!r} publishes no 'sd' reference value" if scale_def
                 else "no instrument")
        raise ReliabilityError(
            f"no standard deviation for reliable change ({where}); pass sd=<SD of the "
            "scale in the reference population>, e.g. the baseline SD of your sample."
        )
    if not (math.isfinite(sd) and sd > 0):
        raise ReliabilityError(f"sd must be a positive number; found {sd!r}.")
    return float(sd)


def _reliability(reliability: float | None, scale_def: Scale | None, scale: str,
                 reliability_from: Sequence[str]) -> tuple[float, str]:
    unknown = [s for s in reliability_from if s not in RELIABILITY_STATISTICS]
    if unknown:
        raise ReliabilityError(
            f"reliability_from has {unknown}; expected statistics among "
            f"{', '.join(RELIABILITY_STATISTICS)}."
        )
    statistic = "given"
    if reliability is None and scale_def is not None:
        for name in reliability_from:
            published = scale_def.reference(name)
            if published is not None:
                reliability, statistic = published.value, name
                break
    if reliability is None:
        where = (f"scale {scale!r} publishes none of {', '.join(reliability_from)}"
                 if scale_def else "no instrument")
        raise ReliabilityError(
            f"no reliability for reliable change ({where}); pass reliability=<test-retest "
            "reliability or alpha of the scale>, e.g. from hs.reliability() on your baseline data."
        )
    if not (math.isfinite(reliability) and 0 <= reliability < 1):
        raise ReliabilityError(f"reliability must be in [0, 1); found {reliability!r}.")
    return float(reliability), statistic


def _criterion_c(scale_def: Scale | None) -> float | None:
    if scale_def is None:
        return None
    clinical = [n for n in scale_def.norms if n.population == "clinical"]
    functional = [n for n in scale_def.norms if n.population == "functional"]
    if not clinical or not functional:
        return None
    c1, c0 = clinical[0], functional[0]
    return (c0.sd * c1.mean + c1.sd * c0.mean) / (c0.sd + c1.sd)
