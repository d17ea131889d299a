"""Simulated helper-therapy studies with known effects, and simulation-based power.

:func:`simulate_trial` draws a longitudinal study of members nested in support
groups: helping given and received at each wave, a baseline helping role
(Maton's median split), a cluster-randomised arm, attrition, and item-level
answers to bundled questionnaires generated from one latent outcome whose
trajectory follows a known linear mixed model. :func:`power` repeats such
studies to estimate the power of the role × time or arm × time test.

Examples
--------
>>> import helpstats as hs
>>> data = hs.simulate_trial(n_participants=40, n_groups=4, instruments=["phq9"], seed=1)
>>> list(data.columns[:8])
['participant', 'group', 'arm', 'wave', 'age', 'gender', 'helping_given', 'helping_received']
>>> int(data.loc[data["wave"] == 0, "participant"].nunique())
40
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from .errors import ModelError
from .instruments import Instrument, list_instruments, load_instrument
from .roles import ROLE_DTYPE, ROLES, classify_roles

__all__ = ["DEFAULT_EFFECTS", "DEFAULT_INSTRUMENTS", "power", "simulate_trial"]

#: Instruments simulated by default (those not bundled in this version are skipped).
DEFAULT_INSTRUMENTS: tuple[str, ...] = ("phq9", "gad7", "rses", "ismi10", "who5", "helping")

#: Parameters of the latent outcome (distress: higher = worse), in latent SD units,
#: with time measured in the units of ``waves`` (months by default).
DEFAULT_EFFECTS: Mapping[str, Any] = {
    "intercept": 0.0,
    "time": -0.03,
    "role": {"neither": 0.0, "helpee": 0.25, "helper": -0.10, "dual": -0.15},
    "role_time": {"neither": 0.0, "helpee": 0.0, "helper": -0.02, "dual": -0.04},
    "arm": 0.0,
    "arm_time": 0.0,
    "sd_participant": 0.7,
    "sd_group": 0.3,
    "sd_slope": 0.0,
    "sd_residual": 0.5,
    "helping_within": 0.0,
    "helping_between": 0.0,
}

_ITEM_NOISE_SD = 1.0
_ITEM_CENTRE = 0.5


def _effects(effects: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in DEFAULT_EFFECTS.items()}
    for key, value in (effects or {}).items():
        if key not in merged:
            raise ModelError(
                f"unknown effect {key!r}; the simulation's effects are: {', '.join(merged)}."
            )
        if isinstance(merged[key], dict):
            if not isinstance(value, Mapping) or set(value) - set(ROLES):
                raise ModelError(
                    f"effects[{key!r}] must map roles ({', '.join(ROLES)}) to numbers; "
                    f"found {value!r}."
                )
            merged[key].update({r: float(v) for r, v in value.items()})
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ModelError(f"effects[{key!r}] must be a number; found {value!r}.")
            if key.startswith("sd_") and value < 0:
                raise ModelError(f"effects[{key!r}] is a standard deviation; found {value!r}.")
            merged[key] = float(value)
    return merged


def _instrument_list(instruments: Sequence[str | Instrument] | None) -> list[Instrument]:
    if instruments is None:
        bundled = set(list_instruments()["id"])
        return [load_instrument(i) for i in DEFAULT_INSTRUMENTS if i in bundled]
    return [load_instrument(i) for i in instruments]


def _direction(instrument: Instrument, number: int) -> float:
    """+1 when the item's own (smallest) scale has ``higher_is = "worse"``, else -1."""
    scales = sorted((sc for sc in instrument.scales if number in sc.items),
                    key=lambda sc: len(sc.items))
    return -1.0 if scales and scales[0].higher_is == "better" else 1.0


def _item_codes(instrument: Instrument, traits: Mapping[str, np.ndarray],
                rng: np.random.Generator, missing: float) -> dict[str, np.ndarray]:
    """Answer every item: an ordinal cut of ``trait + noise`` mapped to codes by score."""
    columns: dict[str, np.ndarray] = {}
    for item in instrument.items:
        trait = traits[item.id]
        spread = math.sqrt(float(np.var(trait)) + _ITEM_NOISE_SD**2) if len(trait) > 1 else 1.0
        scores = item.score_map() if item.scored else {}
        by_score: dict[float, Any] = {}
        for code, score in sorted(scores.items(), key=lambda kv: kv[1]):
            by_score.setdefault(score, code)
        codes = list(by_score.values()) if len(by_score) > 1 else list(item.response_set.codes)
        if len(by_score) > 1:
            k = len(codes)
            cuts = _ITEM_CENTRE + spread * np.array([NormalDist().inv_cdf(j / k) for j in range(1, k)])
            level = np.searchsorted(cuts, trait + rng.normal(0.0, _ITEM_NOISE_SD, len(trait)))
        else:  # unscored or non-numeric item: answers unrelated to the trait
            level = rng.integers(0, len(codes), len(trait))
        answers = np.asarray(codes, dtype=object)[level]
        if all(isinstance(c, int) for c in codes):
            answers = answers.astype("float64" if missing > 0 else "int64")
        if missing > 0:
            skipped = rng.random(len(trait)) < missing
            answers[skipped] = np.nan if answers.dtype.kind == "f" else None
        columns[item.id] = answers
    return columns


def simulate_trial(
    *,
    n_participants: int = 200,
    n_groups: int = 10,
    waves: Sequence[float] = (0, 1, 3, 8),
    effects: Mapping[str, Any] | None = None,
    attrition: float = 0.15,
    instruments: Sequence[str | Instrument] | None = None,
    item_missing: float = 0.0,
    seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Simulate a longitudinal helper-therapy study with known effects.

    Members are spread evenly over ``n_groups`` support groups; half of the
    groups are randomised to ``intervention`` and half to ``control``. Each
    member has a propensity to give and to receive help (correlated 0.3), and
    reports Poisson counts of help given and received at every wave. Their
    ``role`` is Maton's median split (:func:`helpstats.classify_roles`) of the
    baseline counts. The latent outcome of member *i* in group *g* at time *t*
    (higher = more distress) is::

        latent = intercept + role[r_i] + arm * I_i
                 + (time + role_time[r_i] + arm_time * I_i + s_i) * t
                 + u_i + v_g + e_it

    plus, when ``helping_within`` or ``helping_between`` is set,
    ``helping_within * (G_it - Gbar_i) + helping_between * Gbar_i``, where
    ``G_it`` is the count of help given at that wave and ``Gbar_i`` the
    member's mean count over the waves they attended (the helper-therapy
    effect within a person, and the difference between people who help more
    and less), with ``u_i ~ N(0, sd_participant)``, ``v_g ~ N(0, sd_group)``,
    ``s_i ~ N(0, sd_slope)``, ``e_it ~ N(0, sd_residual)`` and ``I_i = 1`` in
    the intervention arm. Every item of each instrument is an ordinal cut of
    ``trait + N(0, 1)`` into as many levels as the item has distinct scores,
    mapped to the response code with that score rank (so reversed items are
    reversed), where the trait is the latent outcome when the item's smallest
    scale has ``higher_is = "worse"``, minus it for ``"better"``, and
    for the ``helping`` domain the propensity to receive help (items of a
    ``receiving`` scale) or to give help (other items), plus N(0, 0.5).

    Attrition is monotone and completely at random: a member who misses a
    wave misses all later ones, and a fraction ``attrition`` is gone by the
    last wave (losses spread evenly over the follow-up waves). Their rows are
    absent, as in a survey export.

    Parameters
    ----------
    n_participants, n_groups : int
        Numbers of members and support groups.
    waves : sequence of float
        Times of measurement (the first is baseline), also the values of the
        ``wave`` column.
    effects : dict, optional
        Overrides of :data:`DEFAULT_EFFECTS` (``intercept``, ``time``,
        ``role`` and ``role_time`` as dicts by role, ``arm``, ``arm_time``,
        ``sd_participant``, ``sd_group``, ``sd_slope``, ``sd_residual``,
        ``helping_within`` and ``helping_between`` per helping act given in
        the same wave, as above).
    attrition : float
        Fraction of members lost by the last wave, in ``[0, 1)``.
    instruments : sequence of str or Instrument, optional
        Questionnaires to answer; by default those of
        :data:`DEFAULT_INSTRUMENTS` that are bundled.
    item_missing : float
        Probability that any single item answer is skipped.
    seed : int or numpy.random.Generator, optional
        Seed for reproducible data.

    Returns
    -------
    pandas.DataFrame
        One row per member and wave attended: ``participant`` (``P0001``...),
        ``group`` (``G01``...), ``arm``, ``wave``, ``age``, ``gender``,
        ``helping_given``, ``helping_received`` (counts at that wave),
        ``role`` (baseline role, ordered categorical), ``latent`` (the true
        outcome), then one column per item named by item id (``phq9_1``...)
        holding response codes (float when ``item_missing > 0``).
        ``.attrs["simulation"]`` records the arguments and effects used.

    Raises
    ------
    helpstats.errors.ModelError
        An effect is unknown or malformed, or a size is out of range.

    Examples
    --------
    >>> import helpstats as hs
    >>> a = hs.simulate_trial(n_participants=30, n_groups=3, instruments=["gad7"], seed=7)
    >>> b = hs.simulate_trial(n_participants=30, n_groups=3, instruments=["gad7"], seed=7)
    >>> a.equals(b)
    True
    >>> a["role"].cat.categories.tolist()
    ['neither', 'helpee', 'helper', 'dual']
    """
    if n_groups < 1 or n_participants < 2 * n_groups:
        raise ModelError(
            f"need n_groups >= 1 and at least 2 participants per group; found "
            f"n_participants={n_participants}, n_groups={n_groups}."
        )
    times = [float(w) for w in waves]
    if len(times) < 2 or sorted(set(times)) != times:
        raise ModelError(f"waves must be at least two increasing times; found {tuple(waves)!r}.")
    if not 0 <= attrition < 1:
        raise ModelError(f"attrition must be in [0, 1); found {attrition!r}.")
    if not 0 <= item_missing < 1:
        raise ModelError(f"item_missing must be in [0, 1); found {item_missing!r}.")
    eff = _effects(effects)
    forms = _instrument_list(instruments)
    rng = np.random.default_rng(seed)
    n, n_waves = n_participants, len(times)

    # members, groups, arms
    group_of = rng.permutation(np.arange(n) % n_groups)
    arm_of_group = rng.permutation(np.arange(n_groups) % 2)
    intervention = arm_of_group[group_of]
    age = np.clip(np.rint(rng.normal(45, 12, n)), 18, 85).astype("int64")
    gender = rng.choice(["female", "male", "another gender"], size=n, p=[0.55, 0.4, 0.05])

    # helping propensities and counts per wave
    giving, receiving = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], size=n).T
    given = rng.poisson(np.exp(0.7 + 0.8 * giving)[:, None], size=(n, n_waves))
    received = rng.poisson(np.exp(0.7 + 0.8 * receiving)[:, None], size=(n, n_waves))
    baseline = pd.DataFrame({"g": given[:, 0], "r": received[:, 0]})
    role = classify_roles(baseline, giving="g", receiving="r").to_numpy()
    role_index = pd.Categorical(role, dtype=ROLE_DTYPE).codes

    # latent outcome
    role_main = np.array([eff["role"][r] for r in ROLES])[role_index]
    role_slope = np.array([eff["role_time"][r] for r in ROLES])[role_index]
    u = rng.normal(0, eff["sd_participant"], n)
    v = rng.normal(0, eff["sd_group"], n_groups)[group_of]
    s = rng.normal(0, eff["sd_slope"], n)
    t = np.asarray(times)[None, :]
    slope = eff["time"] + role_slope + eff["arm_time"] * intervention + s
    latent = (eff["intercept"] + role_main + eff["arm"] * intervention + u + v)[:, None] \
        + slope[:, None] * t + rng.normal(0, eff["sd_residual"], (n, n_waves))

    # monotone attrition: present at wave j while u >= attrition * j / (n_waves - 1)
    stay = rng.random(n)[:, None] >= attrition * np.arange(n_waves)[None, :] / (n_waves - 1)

    rows, cols = np.nonzero(stay)
    if eff["helping_within"] or eff["helping_between"]:  # on the waves attended
        person_mean = (given * stay).sum(axis=1) / stay.sum(axis=1)
        latent = latent + eff["helping_within"] * (given - person_mean[:, None]) \
            + eff["helping_between"] * person_mean[:, None]
    frame = pd.DataFrame({
        "participant": np.char.add("P", np.char.zfill((rows + 1).astype(str), 4)),
        "group": np.char.add("G", np.char.zfill((group_of[rows] + 1).astype(str), 2)),
        "arm": np.where(intervention[rows] == 1, "intervention", "control"),
        "wave": np.asarray(times)[cols],
        "age": age[rows],
        "gender": gender[rows],
        "helping_given": given[rows, cols],
        "helping_received": received[rows, cols],
        "role": pd.Categorical(role[rows], dtype=ROLE_DTYPE),
        "latent": latent[rows, cols],
    })
    if all(float(w).is_integer() for w in times):
        frame["wave"] = frame["wave"].astype("int64")
    items: dict[str, np.ndarray] = {}
    for form in forms:
        if form.domain == "helping":  # receiving scales follow receiving, others giving
            own = {"giving": giving[rows], "receiving": receiving[rows]}
            traits = {}
            for item in form.items:
                scale = next((sc.id for sc in form.scales if item.number in sc.items), "")
                source = own["receiving" if "receiv" in scale else "giving"]
                traits[item.id] = source + rng.normal(0, 0.5, len(rows))
        else:
            traits = {item.id: _direction(form, item.number) * latent[rows, cols]
                      for item in form.items}
        items.update(_item_codes(form, traits, rng, item_missing))
    frame = pd.concat([frame, pd.DataFrame(items, index=frame.index)], axis=1)
    frame.attrs["simulation"] = {
        "n_participants": n, "n_groups": n_groups, "waves": times, "effects": eff,
        "attrition": attrition, "item_missing": item_missing,
        "instruments": [f.id for f in forms],
    }
    return frame


def _interaction_p(fit: Any, factor: str, level: str, time: str) -> float:
    """p of the ``factor[level]:time`` coefficient, found through the fit's model spec."""
    spec = fit.spec
    term = next((t for t in (f"{factor}:{time}", f"{time}:{factor}") if t in spec.terms), None)
    levels = spec.factor_levels(factor)
    if term is None or levels is None or level not in levels[1:]:
        raise ModelError(f"the fit has no {factor} x {time} coefficient for {level!r}; "
                         f"terms: {', '.join(spec.terms)}.")
    column = spec.term_columns(term)[list(levels[1:]).index(level)]
    if column not in fit.coef_columns:
        raise ModelError(f"the {factor} x {time} coefficient for {level!r} was dropped "
                         "(rank deficient design).")
    return float(fit.fixed["p"].iloc[list(fit.coef_columns).index(column)])


def power(
    effect: float | Sequence[float],
    *,
    n_participants: int | Sequence[int],
    n_groups: int = 10,
    design: str = "arm",
    role: str = "dual",
    waves: Sequence[float] = (0, 1, 3, 8),
    attrition: float = 0.15,
    effects: Mapping[str, Any] | None = None,
    nsim: int = 200,
    alpha: float = 0.05,
    seed: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Simulation-based power of the arm × time or role × time test.

    For every combination of ``effect`` and ``n_participants``, ``nsim``
    studies are drawn with :func:`simulate_trial` (no questionnaire items:
    the outcome is the latent score) and the mixed model is fitted with
    :func:`helpstats.fit_mixed` (REML, Satterthwaite df); power is the
    fraction of fits whose interaction p-value is below ``alpha``.

    ``design="arm"``: ``effect`` is ``arm_time``, the difference in slope
    (latent SD units per unit of time) between the intervention and control
    arms (half the groups each); the model is
    ``latent ~ arm * wave + (1 | participant) + (1 | group)``.
    ``design="role"``: ``effect`` is ``role_time[role]``, the slope of
    ``role`` members minus that of ``neither`` members; the model is
    ``latent ~ role * wave + (1 | participant) + (1 | group)``. When
    ``effects`` has ``sd_slope > 0`` the participant term is
    ``(1 + wave | participant)``. Other parameters are
    :data:`DEFAULT_EFFECTS` updated with ``effects``.

    Parameters
    ----------
    effect : float or sequence of float
        Effect size(s) to evaluate, as above.
    n_participants : int or sequence of int
        Total numbers of members (half per arm for ``design="arm"``).
    n_groups : int
        Number of support groups (clusters).
    design : {"arm", "role"}
    role : {"helpee", "helper", "dual"}
        The role compared with ``neither`` when ``design="role"``.
    waves, attrition, effects
        As in :func:`simulate_trial`.
    nsim : int
        Simulated studies per combination.
    alpha : float
        Two-sided significance level.
    seed : int, optional
        Makes the result reproducible.
    progress : bool
        Show a progress bar (tqdm).

    Returns
    -------
    pandas.DataFrame
        One row per combination: ``design``, ``term``, ``effect``,
        ``n_participants``, ``n_groups``, ``nsim``, ``n_failed`` (fits that
        raised an error, left out), ``n_singular`` (boundary fits, e.g. a
        group variance of zero; kept, their warnings silenced), ``power``,
        ``mcse`` (Monte Carlo standard
        error ``sqrt(power * (1 - power) / (nsim - n_failed))``), ``alpha``.

    Raises
    ------
    helpstats.errors.ModelError
        The design, role or a size is invalid.

    Examples
    --------
    >>> import helpstats as hs
    >>> table = hs.power(0.1, n_participants=60, n_groups=6, nsim=3, seed=3,
    ...                  progress=False)
    >>> table[["term", "effect", "nsim", "power"]]
                    term  effect  nsim  power
    0  armintervention:wave     0.1     3    1.0
    """
    if design not in ("arm", "role"):
        raise ModelError(f"design must be 'arm' or 'role'; found {design!r}.")
    if design == "role" and role not in ROLES[1:]:
        raise ModelError(f"role must be one of helpee, helper, dual; found {role!r}.")
    if nsim < 1 or not 0 < alpha < 1:
        raise ModelError(f"need nsim >= 1 and 0 < alpha < 1; found nsim={nsim}, alpha={alpha}.")
    from tqdm.auto import tqdm

    from .models import fit_mixed

    effect_grid = [float(effect)] if isinstance(effect, int | float) else [float(e) for e in effect]
    n_grid = [n_participants] if isinstance(n_participants, int) else list(n_participants)
    base = _effects(effects)
    subject = "(1 + wave | participant)" if base["sd_slope"] > 0 else "(1 | participant)"
    factor, level = ("arm", "intervention") if design == "arm" else ("role", role)
    formula = f"latent ~ {factor} * wave + {subject} + (1 | group)"
    term = f"{factor}{level}:wave"

    seeds = iter(np.random.SeedSequence(seed).spawn(len(effect_grid) * len(n_grid) * nsim))
    rows = []
    with tqdm(total=len(effect_grid) * len(n_grid) * nsim, desc="power", disable=not progress) \
            as bar:
        for size in effect_grid:
            override: dict[str, Any] = {k: v for k, v in base.items()}
            if design == "arm":
                override["arm_time"] = size
            else:
                override["role_time"] = {**base["role_time"], role: size}
            for n in n_grid:
                hits = failed = singular = 0
                for _ in range(nsim):
                    data = simulate_trial(
                        n_participants=n, n_groups=n_groups, waves=waves, effects=override,
                        attrition=attrition, instruments=[],
                        seed=np.random.default_rng(next(seeds)),
                    )
                    if design == "role":  # treatment (not polynomial) contrasts vs neither
                        data["role"] = data["role"].cat.remove_unused_categories() \
                            .cat.as_unordered()
                    try:
                        with warnings.catch_warnings():  # counted in n_singular instead
                            warnings.simplefilter("ignore", UserWarning)
                            fit = fit_mixed(data, formula)
                        hits += _interaction_p(fit, factor, level, "wave") < alpha
                        singular += bool(fit.singular)
                    except ModelError:
                        failed += 1
                    bar.update()
                done = nsim - failed
                share = hits / done if done else math.nan
                rows.append({
                    "design": design, "term": term, "effect": size, "n_participants": n,
                    "n_groups": n_groups, "nsim": nsim, "n_failed": failed,
                    "n_singular": singular, "power": share,
                    "mcse": math.sqrt(share * (1 - share) / done) if done else math.nan,
                    "alpha": alpha,
                })
    return pd.DataFrame(rows)
