"""Multiple imputation by chained equations for repeated-measures studies.

The long analysis frame (one row per participant and wave) is imputed in wide
form: each wave's value of each time-varying column is predicted from the
other waves, the other columns, the participant's time-invariant columns (arm,
baseline role, ...) and auxiliaries -- the "wide" strategy recommended for
longitudinal trials (van Buuren 2018, section 11.2). A wave with no row for a
participant is added and imputed too (intention to treat). Each of the m
chains runs its own random stream drawn from ``seed``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._blas import limit_blas
from .._display import result_html
from ..errors import ImputationError, ImputationWarning
from ._draws import (
    TwoLevelState,
    draw_logreg,
    draw_norm,
    draw_pmm,
    draw_polyreg,
    draw_two_level,
)

__all__ = ["Imputation", "impute"]

_NUMERIC_METHODS = ("pmm", "norm", "2l.pan")
_METHODS = (*_NUMERIC_METHODS, "logreg", "polyreg")
_SEP = "\x1f"  # joins column and wave in the internal wide names: never in a real name
_RHAT_LIMIT = 1.1
_RHAT_MIN_ITERATIONS = 10  # R-hat of fewer chain values is too noisy to judge mixing


@dataclass(frozen=True)
class _Layout:
    """How the long frame maps onto the wide one."""

    ids: list[Hashable]
    waves: list[Hashable]
    varying: list[str]
    constant: list[str]
    categorical: dict[str, list[Hashable]]
    position: np.ndarray  # (n_long, 2): participant index, wave index of each input row


def _wide_name(column: str, wave: Hashable) -> str:
    return f"{column}{_SEP}{wave}"


def _split(name: str) -> tuple[str, str]:
    column, _, wave = name.partition(_SEP)
    return column, wave


def _label(name: str) -> str:
    column, wave = _split(name)
    return f"{column} @ {wave}" if wave else column


def _check_input(data: pd.DataFrame, id: str, wave: str, columns: list[str], auxiliary: list[str]) -> None:
    missing = [c for c in [id, wave, *columns, *auxiliary] if c not in data.columns]
    if missing:
        raise ImputationError(f"impute: columns {missing} are not in the data; it has "
                              f"{list(data.columns)[:20]}.")
    if data[id].isna().any() or data[wave].isna().any():
        rows = np.flatnonzero(data[id].isna().to_numpy() | data[wave].isna().to_numpy())[:10]
        raise ImputationError(f"impute: rows (0-based positions) {rows.tolist()} have no {id!r} or "
                              f"{wave!r}; every row needs both to be placed in a participant's record.")
    key = data[id].astype(str) + _SEP + data[wave].astype(str)
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        pairs = data.loc[dup, [id, wave]].drop_duplicates().head(5).to_numpy().tolist()
        raise ImputationError(f"impute: {int(dup.sum())} rows share a ({id}, {wave}) pair, e.g. "
                              f"{pairs}; the long frame must have one row per participant and wave.")


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _layout(data: pd.DataFrame, id: str, wave: str, columns: list[str], auxiliary: list[str],
            waves: Sequence[Hashable] | None) -> _Layout:
    ids = list(dict.fromkeys(data[id].astype(str)))
    if waves is None:
        observed = pd.unique(data[wave])
        try:
            wave_list = sorted(observed.tolist())
        except TypeError:
            wave_list = list(observed)
        if isinstance(data[wave].dtype, pd.CategoricalDtype):
            wave_list = [w for w in data[wave].cat.categories if w in set(observed)]
    else:
        wave_list = list(waves)
        unknown = set(data[wave].tolist()) - set(wave_list)
        if unknown:
            raise ImputationError(f"impute: waves {sorted(map(str, unknown))} are not in waves={wave_list}.")
    id_pos = {v: i for i, v in enumerate(ids)}
    wave_pos = {w: j for j, w in enumerate(wave_list)}
    position = np.column_stack([data[id].astype(str).map(id_pos).to_numpy(),
                                data[wave].map(wave_pos).to_numpy()]).astype(int)
    constant: list[str] = []
    varying: list[str] = []
    for c in [*columns, *auxiliary]:
        per_person = data.groupby(data[id].astype(str), sort=False)[c].nunique(dropna=True)
        (constant if (per_person <= 1).all() and c in auxiliary else varying).append(c)
    categorical = {}
    for c in [*columns, *auxiliary]:
        if _is_categorical(data[c]):
            s = data[c]
            levels = list(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype) else \
                sorted(pd.unique(s.dropna()).tolist(), key=str)
            categorical[c] = levels
    return _Layout(ids, wave_list, varying, constant, categorical, position)


def _to_wide(data: pd.DataFrame, layout: _Layout) -> pd.DataFrame:
    """Numeric wide matrix: categorical columns as codes (NaN where missing)."""
    n, w = len(layout.ids), len(layout.waves)
    out: dict[str, np.ndarray] = {}
    for c in layout.varying:
        values = _codes(data[c], layout.categorical.get(c))
        block = np.full((n, w), np.nan)
        block[layout.position[:, 0], layout.position[:, 1]] = values
        for j, wv in enumerate(layout.waves):
            out[_wide_name(c, wv)] = block[:, j]
    for c in layout.constant:
        values = _codes(data[c], layout.categorical.get(c))
        col = np.full(n, np.nan)
        ok = ~np.isnan(values)
        col[layout.position[ok, 0]] = values[ok]
        out[c] = col
    return pd.DataFrame(out)


def _codes(series: pd.Series, levels: list[Hashable] | None) -> np.ndarray:
    if levels is None:
        return series.to_numpy(dtype=float, na_value=np.nan)
    lookup = {v: i for i, v in enumerate(levels)}
    return series.map(lookup).to_numpy(dtype=float, na_value=np.nan)


def _predictors(wide: pd.DataFrame, target: str, layout: _Layout) -> list[str]:
    """Every other wide column; the same column's other waves included."""
    return [c for c in wide.columns if c != target]


def _design(wide: np.ndarray, cols: list[int], categorical_cols: dict[int, int]) -> np.ndarray:
    """Predictor matrix with categorical columns as dummies (first level dropped)."""
    parts = []
    for j in cols:
        if j in categorical_cols:
            k = categorical_cols[j]
            codes = wide[:, j].astype(int)
            parts.append(np.eye(k)[codes][:, 1:])
        else:
            parts.append(wide[:, j:j + 1])
    return np.column_stack(parts) if parts else np.empty((len(wide), 0))


@dataclass(frozen=True, repr=False)
class Imputation:
    """m completed copies of a long analysis frame and the model that imputed them.

    Attributes
    ----------
    completed : list of pandas.DataFrame
        The m completed long frames. Each has the input's rows first, in their
        order and with their index labels, then one added row (``row_added``
        True) for every scheduled wave a participant has no row for; the
        ``row_added`` column marks them (False for input rows). In added rows,
        columns constant within each participant (group, arm, gender) carry
        the participant's value; other columns not imputed are missing.
    m : int
        Number of imputations.
    methods : pandas.Series
        The method used for each imputed column at each wave (``"col @ wave"``).
    predictors : pandas.DataFrame
        0/1 matrix, imputed column x predictor (as mice's ``predictorMatrix``).
    chain_mean, chain_sd : pandas.DataFrame
        Mean and SD of the imputed values by ``imputation, iteration`` (rows)
        and imputed column (columns), as mice's ``chainMean`` / ``chainVar``.
    rhat : pandas.Series
        Gelman–Rubin potential scale reduction of the chain means over the
        second half of the iterations, per imputed column (NaN with fewer
        than 20 iterations or one imputation: too few values to judge).
    n_missing : pandas.Series
        Cells imputed per column and wave.
    """

    completed: list[pd.DataFrame]
    m: int
    id: str
    wave: str
    columns: tuple[str, ...]
    methods: pd.Series
    predictors: pd.DataFrame
    chain_mean: pd.DataFrame
    chain_sd: pd.DataFrame
    rhat: pd.Series
    n_missing: pd.Series
    seed: int | None
    iterations: int
    observed: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        cells = int(self.n_missing.sum())
        return (f"<Imputation: m={self.m}, {len(self.columns)} columns over "
                f"{self.completed[0][self.wave].nunique()} waves, {cells} cells imputed per data "
                f"set, {self.iterations} iterations>")

    def _repr_html_(self) -> str:
        return result_html(repr(self).strip("<>"), [],
                           {"Imputed cells per column": self.n_missing.rename("n_missing")
                            .rename_axis("column").reset_index()})

    def fit(self, fit_fn: Callable[..., Any], *args: Any, dfcom: Any = None, **kwargs: Any) -> Any:
        """Fit a model to each completed data set and pool the fits (Rubin's rules).

        Parameters
        ----------
        fit_fn : callable
            ``hs.fit_mixed``, ``hs.fit_mmrm`` or any function ``fit_fn(data, *args, **kwargs)``.
        dfcom : optional
            Passed to :func:`helpstats.pool`.

        Returns
        -------
        helpstats.PooledFit
        """
        from .pooling import pool

        fits = [fit_fn(frame, *args, **kwargs) for frame in self.completed]
        return pool(fits, dfcom=dfcom)

    def where(self, k: int = 0) -> pd.DataFrame:
        """Boolean frame (the completed frame's shape): True for each imputed cell."""
        frame = self.completed[k]
        mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
        for c in self.columns:
            mask[c] = self.observed[c].isna().to_numpy()
        return mask

    def plot_trace(self, columns: Sequence[str] | None = None) -> Any:
        """Trace plot of the chain means and SDs by iteration (one line per imputation)."""
        import matplotlib.pyplot as plt

        names = list(columns) if columns is not None else list(self.chain_mean.columns)[:6]
        fig, axes = plt.subplots(len(names), 2, figsize=(8, 2.2 * len(names)), squeeze=False)
        for row, name in enumerate(names):
            for col, (table, what) in enumerate([(self.chain_mean, "mean"), (self.chain_sd, "SD")]):
                ax = axes[row, col]
                for k in range(self.m):
                    ax.plot(table.loc[k, name].to_numpy(), lw=0.8)
                ax.set_title(f"{name}: {what}", fontsize=9)
                ax.set_xlabel("iteration")
        fig.tight_layout()
        return axes

    def plot_densities(self, column: str) -> Any:
        """Observed (thick) vs imputed (thin, one per imputation) densities of a column."""
        import matplotlib.pyplot as plt
        from scipy import stats

        observed = self.observed[column].dropna().to_numpy(dtype=float)
        fig, ax = plt.subplots(figsize=(5, 3.2))
        grid_lo, grid_hi = np.nanmin(observed), np.nanmax(observed)
        imputed_sets = []
        for k in range(self.m):
            mask = self.observed[column].isna().to_numpy()
            imputed_sets.append(self.completed[k][column].to_numpy(dtype=float)[mask])
        allvals = np.concatenate([observed, *imputed_sets])
        grid = np.linspace(min(grid_lo, allvals.min()), max(grid_hi, allvals.max()), 200)
        for vals in imputed_sets:
            if len(np.unique(vals)) > 1:
                ax.plot(grid, stats.gaussian_kde(vals)(grid), color="tab:red", lw=0.6, alpha=0.6)
        if len(np.unique(observed)) > 1:
            ax.plot(grid, stats.gaussian_kde(observed)(grid), color="tab:blue", lw=2, label="observed")
        ax.plot([], [], color="tab:red", lw=0.6, label="imputed (one line per imputation)")
        ax.set_xlabel(column)
        ax.set_ylabel("density")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
        fig.tight_layout()
        return ax


def _rhat(chains: np.ndarray) -> float:
    """Potential scale reduction of an (m, n) array of chain values."""
    m, n = chains.shape
    if m < 2 or n < 2:
        return float("nan")
    means = chains.mean(axis=1)
    w = chains.var(axis=1, ddof=1).mean()
    b = n * means.var(ddof=1)
    if w <= 0:
        return 1.0 if b <= 0 else float("inf")
    var_plus = (n - 1) / n * w + b / n
    return float(np.sqrt(var_plus / w))


def impute(
    data: pd.DataFrame,
    m: int = 20,
    *,
    id: str,
    wave: str,
    columns: Sequence[str] | None = None,
    method: str | Mapping[str, str] = "pmm",
    auxiliary: Sequence[str] | None = None,
    instrument: Any = None,
    item_columns: Any = None,
    waves: Sequence[Hashable] | None = None,
    cluster: str | None = None,
    seed: int | None = None,
    iterations: int = 20,
    donors: int = 5,
    progress: bool = False,
) -> Imputation:
    """Impute missing values of a long repeated-measures frame m times (MICE, wide form).

    Parameters
    ----------
    data : pandas.DataFrame
        Long frame, one row per participant and wave (not modified).
    m : int, default 20
        Number of imputed data sets.
    id, wave : str
        Participant and wave columns (ids are compared as text).
    columns : list of str, optional
        Time-varying columns to impute (outcomes, items, covariates). Default:
        every column with a missing value other than ``id``, ``wave`` and the
        auxiliaries -- or the instrument's item columns when ``instrument`` is given.
    method : str or dict, default "pmm"
        ``"pmm"`` (predictive mean matching, 5 donors) or ``"norm"`` (Bayesian
        linear regression) for numeric columns, or a dict column -> method.
        PMM imputes only observed values; when dropout depends strongly on the
        outcome, the missing values lie beyond most donors and PMM is biased
        (0.27 residual SD in ``benchmarks/bench_mi_validity.py``, where norm's
        bias is 0.0001; mice's pmm is biased as much on the same data,
        ``benchmarks/bench_mi_pmm_mice.py``): prefer ``"norm"`` there.
        ``"2l.pan"``: a two-level normal model, participants within the
        clusters of ``cluster=`` (a random cluster intercept, drawn by Gibbs
        sampling as mice's ``2l.pan``); use it when members of one support
        group are alike, so the imputations keep the between-group variance.
        Categorical columns (text, category, boolean) use ``"logreg"`` (two
        levels) or ``"polyreg"`` (more) unless the dict says otherwise.
    auxiliary : list of str, optional
        Columns used as predictors. Those constant within participant (arm,
        baseline role) enter once; others enter at every wave; their missing
        values are imputed too.
    instrument : str, Instrument or list, optional
        Impute the instrument's items (item-level imputation, then score each
        completed data set with :func:`helpstats.score`; the scores are added).
        Items must be numeric codes.
    item_columns : optional
        ``columns=`` of :func:`helpstats.score` for the instrument's items.
    waves : list, optional
        The scheduled waves (default: the waves in the data, sorted).
    cluster : str, optional
        The cluster column (support group, site) of ``method="2l.pan"``; constant
        within participant and never missing.
    seed : int, optional
        Makes the imputations reproducible.
    iterations : int, default 20
        Iterations of the chained equations per imputation.
    donors : int, default 5
        Donor pool of predictive mean matching.
    progress : bool, default False
        Show a progress bar over imputations x iterations (tqdm, on stderr).

    Returns
    -------
    Imputation

    Warns
    -----
    helpstats.errors.ImputationWarning
        When a column's chains have not mixed (R-hat above 1.1 over the
        second half of the iterations): run more iterations.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import helpstats as hs
    >>> rng = np.random.default_rng(2)
    >>> d = pd.DataFrame({"id": np.repeat(range(40), 3), "wave": np.tile([0, 1, 2], 40),
    ...                   "arm": np.repeat(rng.integers(0, 2, 40), 3)})
    >>> d["y"] = rng.normal(size=120) + d["wave"] * d["arm"]
    >>> d.loc[d.sample(frac=0.2, random_state=1).index, "y"] = np.nan
    >>> imp = hs.impute(d, m=3, id="id", wave="wave", columns=["y"], auxiliary=["arm"],
    ...                 seed=1, iterations=5)
    >>> imp.m, int(imp.completed[0]["y"].isna().sum()), len(imp.completed[0]) == len(d)
    (3, 0, True)
    """
    if not isinstance(data, pd.DataFrame):
        raise ImputationError(f"impute needs a pandas DataFrame; got {type(data).__name__}.")
    if m < 1 or iterations < 1:
        raise ImputationError(f"m and iterations must be positive; got m={m}, iterations={iterations}.")
    aux = list(auxiliary or [])
    instruments = None
    if instrument is not None:
        from ..scoring import as_instruments, resolve_columns

        instruments = as_instruments(instrument)
        item_cols: list[str] = []
        for inst in instruments:
            spec = item_columns.get(inst.id) if isinstance(item_columns, Mapping) and \
                inst.id in item_columns else item_columns
            item_cols.extend(resolve_columns(inst, spec).values())
        cols = list(columns) if columns is not None else item_cols
        cols += [c for c in item_cols if c not in cols]
    elif columns is None:
        cols = [c for c in data.columns if c not in (id, wave, *aux) and data[c].isna().any()]
    else:
        cols = list(columns)
    if not cols:
        raise ImputationError("impute: no column to impute (none given and none has a missing value).")
    overlap = set(cols) & set(aux)
    if overlap or id in cols or wave in cols:
        raise ImputationError(f"impute: {sorted(overlap | {id, wave} & set(cols))} cannot be both imputed "
                              "and an id/wave/auxiliary column.")
    _check_input(data, id, wave, cols, aux)
    layout = _layout(data, id, wave, cols, aux, waves)
    two_level = method == "2l.pan" or (isinstance(method, Mapping) and "2l.pan" in method.values())
    clusters = _cluster_codes(data, layout, id, cluster, cols, aux) if two_level else None
    if cluster is not None and not two_level:
        raise ImputationError(f"impute: cluster={cluster!r} is used by method='2l.pan' (a random "
                              "cluster intercept); with single-level methods put the cluster in "
                              "auxiliary= instead (one dummy per cluster).")
    wide = _to_wide(data, layout)
    names = list(wide.columns)
    values = wide.to_numpy(dtype=float)
    col_of = {n: _split(n)[0] for n in names}
    methods: dict[str, str] = {}
    for n in names:
        base = col_of[n]
        chosen = method.get(base) if isinstance(method, Mapping) else None
        if base in layout.categorical:
            default = "logreg" if len(layout.categorical[base]) == 2 else "polyreg"
            chosen = chosen if chosen in ("logreg", "polyreg") else default
        else:
            chosen = chosen or (method if isinstance(method, str) else "pmm")
        if chosen not in _METHODS:
            raise ImputationError(f"method {chosen!r} for {base!r}; expected one of {_METHODS}.")
        if chosen == "2l.pan" and clusters is None:
            raise ImputationError(f"method '2l.pan' for {base!r} needs cluster= (the column of the "
                                  "support group or site participants are nested in).")
        methods[n] = chosen
    missing = np.isnan(values)
    targets = [j for j in range(len(names)) if missing[:, j].any()]
    fully_missing = [names[j] for j in targets if missing[:, j].all()]
    if fully_missing:
        raise ImputationError(f"impute: {[_label(n) for n in fully_missing]} have no observed value; "
                              "nothing to impute them from (drop the wave or the column).")
    categorical_cols = {j: len(layout.categorical[col_of[names[j]]]) for j in range(len(names))
                        if col_of[names[j]] in layout.categorical}
    predictor_sets = {j: [i for i in range(len(names)) if i != j] for j in targets}
    root = np.random.SeedSequence(seed)
    streams = [np.random.default_rng(s) for s in root.spawn(m)]
    chain_mean = np.full((m, iterations, len(targets)), np.nan)
    chain_sd = np.full((m, iterations, len(targets)), np.nan)
    completed_wide = []
    from tqdm.auto import tqdm

    # the regressions are small: one BLAS thread is many times faster than contended threads
    with tqdm(total=m * iterations, desc="impute", disable=not progress, unit="iter") as bar, \
            limit_blas():
        for k, rng in enumerate(streams):
            current = values.copy()
            gibbs: dict[int, TwoLevelState] = {}
            for j in targets:  # start: random draws from the observed values (as mice)
                obs = values[~missing[:, j], j]
                current[missing[:, j], j] = rng.choice(obs, int(missing[:, j].sum()))
            for it in range(iterations):
                for t_i, j in enumerate(targets):
                    miss = missing[:, j]
                    x = _design(current, predictor_sets[j], categorical_cols)
                    x = _standardise(x, ~miss)
                    y_obs = values[~miss, j]
                    how = methods[names[j]]
                    if how == "pmm":
                        draws = draw_pmm(x[~miss], y_obs, x[miss], rng, donors)
                    elif how == "norm":
                        draws = draw_norm(x[~miss], y_obs, x[miss], rng)
                    elif how == "2l.pan":
                        assert clusters is not None
                        codes, n_clusters = clusters
                        state = gibbs.setdefault(j, TwoLevelState.start(y_obs, n_clusters))
                        x = _with_cluster_means(x, codes, n_clusters)
                        draws = draw_two_level(x[~miss], y_obs, x[miss], codes[~miss], codes[miss],
                                               state, rng)
                    elif how == "logreg":
                        draws = draw_logreg(x[~miss], y_obs.astype(int), x[miss], rng)
                    else:
                        draws = draw_polyreg(x[~miss], y_obs.astype(int), x[miss],
                                             categorical_cols[j], rng)
                    current[miss, j] = draws
                    chain_mean[k, it, t_i] = float(np.mean(draws))
                    chain_sd[k, it, t_i] = float(np.std(draws, ddof=1)) if len(draws) > 1 else 0.0
                bar.update(1)
            completed_wide.append(current)
    target_labels = [_label(names[j]) for j in targets]
    index = pd.MultiIndex.from_product([range(m), range(iterations)], names=["imputation", "iteration"])
    cm = pd.DataFrame(chain_mean.reshape(m * iterations, -1), index=index, columns=target_labels)
    cs = pd.DataFrame(chain_sd.reshape(m * iterations, -1), index=index, columns=target_labels)
    half = iterations // 2
    judged = m > 1 and iterations - half >= _RHAT_MIN_ITERATIONS
    rhat = pd.Series([_rhat(chain_mean[:, half:, t]) if judged else np.nan for t in range(len(targets))],
                     index=target_labels, name="rhat")
    poor = rhat[rhat > _RHAT_LIMIT]
    if len(poor):
        warnings.warn(f"impute: the chains of {list(poor.index)[:5]} have not mixed (R-hat "
                      f"{poor.max():.2f} > {_RHAT_LIMIT}); run more iterations (iterations=) and "
                      "check imp.plot_trace().", ImputationWarning, stacklevel=2)
    completed = [_to_long(data, layout, cw, names, id, wave) for cw in completed_wide]
    if instruments is not None:
        from ..scoring import score

        completed = [frame.join(score(frame, instruments, columns=item_columns)) for frame in completed]
    observed_long = _to_long(data, layout, values, names, id, wave)
    predictors = pd.DataFrame(0, index=target_labels, columns=[_label(n) for n in names])
    for t_i, j in enumerate(targets):
        predictors.iloc[t_i, predictor_sets[j]] = 1
    n_missing = pd.Series(missing[:, targets].sum(axis=0), index=target_labels, name="n_missing")
    return Imputation(
        completed=completed, m=m, id=id, wave=wave, columns=tuple(cols),
        methods=pd.Series({_label(names[j]): methods[names[j]] for j in targets}, name="method"),
        predictors=predictors, chain_mean=cm, chain_sd=cs, rhat=rhat, n_missing=n_missing,
        seed=seed, iterations=iterations, observed=observed_long,
    )


def _with_cluster_means(x: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Predictors plus their cluster means (over every participant of the cluster), so the
    between-cluster part of each predictor's association has its own coefficient
    (Enders, Mistler & Keller 2016); columns constant within clusters are not repeated."""
    counts = np.bincount(codes, minlength=n_clusters)
    means = np.column_stack([np.bincount(codes, x[:, k], minlength=n_clusters) / counts
                             for k in range(x.shape[1])])[codes] if x.shape[1] else x
    varies = np.abs(x - means).max(axis=0) > 1e-12 if x.shape[1] else np.zeros(0, dtype=bool)
    return np.column_stack([x, means[:, varies]])


def _cluster_codes(data: pd.DataFrame, layout: _Layout, id: str, cluster: str | None,
                   cols: list[str], aux: list[str]) -> tuple[np.ndarray, int]:
    """Cluster code (0..C-1) of each participant of the wide frame, and C."""
    if cluster is None:
        raise ImputationError("method '2l.pan' needs cluster= (the column of the support group or "
                              "site participants are nested in).")
    if cluster not in data.columns:
        raise ImputationError(f"impute: cluster={cluster!r} is not a column of the data.")
    if cluster in (id, *cols, *aux):
        raise ImputationError(f"impute: cluster={cluster!r} is also an id, imputed or auxiliary "
                              "column; it enters the two-level model as the random intercept only.")
    if data[cluster].isna().any():
        rows = np.flatnonzero(data[cluster].isna().to_numpy())[:10]
        raise ImputationError(f"impute: rows (0-based positions) {rows.tolist()} have no "
                              f"{cluster!r}; every participant needs a cluster for '2l.pan'.")
    person = data[id].astype(str)
    per_person = data.groupby(person, sort=False)[cluster].nunique()
    if (per_person > 1).any():
        who = per_person[per_person > 1].index[:5].tolist()
        raise ImputationError(f"impute: participants {who} are in more than one {cluster!r}; "
                              "'2l.pan' nests each participant in one cluster.")
    first = data.groupby(person, sort=False)[cluster].first().reindex(layout.ids)
    codes, uniques = pd.factorize(first, sort=True)
    return codes.astype(int), len(uniques)


def _standardise(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Centre and scale predictors on the rows used for fitting (numerical stability)."""
    if x.shape[1] == 0:
        return x
    centre = x[rows].mean(axis=0)
    scale = x[rows].std(axis=0)
    keep = scale > 1e-12
    return (x[:, keep] - centre[keep]) / scale[keep]


def _to_long(data: pd.DataFrame, layout: _Layout, wide: np.ndarray, names: list[str], id: str,
             wave: str) -> pd.DataFrame:
    """The input rows with imputed values filled in, then a row for each missed wave."""
    n_ids, n_waves = len(layout.ids), len(layout.waves)
    present = np.zeros((n_ids, n_waves), dtype=bool)
    present[layout.position[:, 0], layout.position[:, 1]] = True
    add_p, add_w = np.nonzero(~present)
    first_row = pd.Series(np.arange(len(data))).groupby(layout.position[:, 0]).first()
    template = data.iloc[first_row.reindex(add_p).to_numpy()] if len(add_p) else data.iloc[:0]
    added = template.copy()
    added.index = pd.RangeIndex(len(added))
    blank = np.zeros(len(added), dtype=bool)
    person = data[id].astype(str)
    for c in data.columns:
        if c in (id, *layout.constant):
            continue
        # a column constant within every participant (group, gender, ...) is carried into the
        # added rows; anything else is unknown there unless imputed
        if c not in layout.varying and (data.groupby(person, sort=False)[c].nunique(dropna=True) <= 1).all():
            continue
        added[c] = added[c].where(blank)
    added[wave] = pd.Series([layout.waves[w] for w in add_w], index=added.index,
                            dtype=data[wave].dtype)
    base = data.copy()
    frame = pd.concat([base.assign(row_added=False),
                       added.assign(row_added=True)], ignore_index=False) if len(added) else \
        base.assign(row_added=False)
    pos = np.concatenate([layout.position, np.column_stack([add_p, add_w]).astype(int)]) if len(added) \
        else layout.position
    name_index = {n: i for i, n in enumerate(names)}
    for c in [*layout.varying, *layout.constant]:
        if c in layout.constant:
            vals = wide[pos[:, 0], name_index[c]]
        else:
            cols = [name_index[_wide_name(c, w)] for w in layout.waves]
            vals = wide[pos[:, 0], np.array(cols)[pos[:, 1]]]
        frame[c] = _decode(vals, data[c], layout.categorical.get(c))
    if len(added):
        if pd.api.types.is_integer_dtype(data.index) and len(data):
            start = int(data.index.max()) + 1
            extra: list[Hashable] = list(range(start, start + len(added)))
        else:
            extra = [f"added-{i}" for i in range(len(added))]
        frame.index = pd.Index([*data.index, *extra], name=data.index.name)
    return frame


def _decode(values: np.ndarray, original: pd.Series, levels: list[Hashable] | None) -> Any:
    if levels is None:
        if pd.api.types.is_integer_dtype(original) and not np.isnan(values).any():
            return values.astype(original.dtype)
        return values
    out = pd.Series([levels[int(v)] if not np.isnan(v) else None for v in values], dtype=object)
    if isinstance(original.dtype, pd.CategoricalDtype):
        return pd.Categorical(out, categories=original.cat.categories, ordered=original.cat.ordered)
    if pd.api.types.is_bool_dtype(original):
        return out.astype("boolean").to_numpy()
    return out.to_numpy()
