"""The ``[helping]`` analyses of ``helpstats analyze``: tables and methods text.

For each outcome: the within/between model of Roberts et al. (1999) -- the outcome
on the person-mean (between) and deviation (within) parts of each helping column --
and the lagged model (the within parts at the previous scheduled wave); the
role-transition table (roles per wave, Maton's median split of the first two helping
columns within each wave); and the mediation table (baseline-adjusted change from the
first to the last wave, clustered by group when the study has groups).
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from .study import Study

__all__ = ["helping_analyses"]


def _random(study: Study) -> str:
    return f" + (1 | {study.id})" + (f" + (1 | {study.group})" if study.group else "")


def helping_analyses(study: Study, data: pd.DataFrame) -> tuple[dict[str, pd.DataFrame],
                                                                list[str]]:
    """Run the ``[helping]`` analyses; return ``(tables, methods paragraphs)``.

    Parameters
    ----------
    study : Study
        With a ``helping`` section.
    data : pandas.DataFrame
        The scored long frame of :func:`helpstats.report.build_frame`. Not modified.
    """
    from .mediation import mediate
    from .models import fit_mixed
    from .roles import classify_roles
    from .tables import model_table
    from .transitions import role_transitions
    from .within import change_scores, decompose, lag

    spec = study.helping
    if spec is None:
        return {}, []
    for column in spec.columns:
        if column not in data.columns:
            raise study.error("helping.columns", f"column {column!r} is not in the export(s) "
                              "or scores.")
    tables: dict[str, pd.DataFrame] = {}
    methods: list[str] = []
    wave, cols = study.wave, list(spec.columns)
    schedule = list(study.waves) if study.waves else None
    parts = decompose(data, cols, id=study.id)
    between = [f"{c}_between" for c in cols]
    within = [f"{c}_within" for c in cols]
    if spec.decompose:
        for outcome in study.model.outcomes:
            formula = f"{outcome} ~ {' + '.join(within + between)} + {wave}" + _random(study)
            tables[f"Helping {outcome}"[:31]] = model_table(fit_mixed(parts, formula))
        methods.append(
            f"Helping ({', '.join(cols)}) was split into each member's mean over the waves "
            "observed (between-person part) and the deviation from it at each wave "
            "(within-person part; datawizard::demean's definition), and each outcome was "
            "modelled on both parts and the wave with random intercepts for members"
            + (" and groups" if study.group else "") + " (Roberts et al., 1999): the within "
            "coefficient is the change in the outcome when a member helps more than usual.")
    if spec.lag:
        lagged = lag(parts, within, id=study.id, wave=wave, k=spec.lag, waves=schedule)
        lags = [f"{c}_lag{spec.lag}" for c in within]
        for outcome in study.model.outcomes:
            formula = f"{outcome} ~ {' + '.join(lags + between)} + {wave}" + _random(study)
            tables[f"Lagged {outcome}"[:31]] = model_table(fit_mixed(lagged, formula))
        methods.append(
            f"The lagged model puts the within-person helping {spec.lag} scheduled wave(s) "
            "before each observation in place of the same wave's; an observation whose "
            "earlier scheduled wave was missed has no lag and is left out.")
    if len(cols) >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # missing helping: no role, counted
            roles = classify_roles(data, giving=cols[0], receiving=cols[1], by=wave)
        frame = pd.DataFrame({study.id: data[study.id], wave: data[wave], "role": roles})
        transitions = role_transitions(frame, id=study.id, wave=wave, waves=schedule)
        table = transitions.counts.copy()
        table.columns = [f"to {c}" for c in table.columns]
        tables["Role transitions"] = table.reset_index()
        methods.append(
            f"Role transitions cross-tabulate each member's role at a wave (median split of "
            f"{cols[0]} and {cols[1]} within the wave) against their role at the next "
            f"scheduled wave ({transitions.n_transitions} transitions; a missed wave links "
            "nothing).")
    if spec.mediation is not None:
        med: dict[str, Any] = dict(spec.mediation)
        for key in ("treatment", "mediator", "outcome"):
            if med[key] not in data.columns:
                raise study.error("helping.mediation", f"{key} column {med[key]!r} is not in "
                                  "the export(s) or scores.")
        keep = [med["treatment"]] + ([study.group] if study.group else [])
        wide = change_scores(data, [med["mediator"], med["outcome"]], id=study.id, wave=wave,
                             waves=schedule, keep=keep)
        result = mediate(wide, med["treatment"], f"{med['mediator']}_change",
                         f"{med['outcome']}_change",
                         [f"{med['mediator']}_baseline", f"{med['outcome']}_baseline"],
                         cluster=study.group, n_boot=2000, seed=20130, progress=False)
        tables["Mediation"] = result.table.reset_index()
        methods.append(
            "Mediation used the change from the first to the last scheduled wave of "
            f"{med['mediator']} (mediator) and {med['outcome']} (outcome), each adjusted for "
            "both baselines"
            + (f", with a cluster bootstrap over {study.group}" if study.group else "")
            + ". " + result.methods)
    return tables, methods
