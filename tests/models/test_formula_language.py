"""R's formula language: term algebra, functions, stateful transforms, contrasts, errors.

Model-level parity with lme4 for each construct is in test_mixed_reference.py (the
folders chickweight_poly_log, oxboys_ns, loblolly_bs, loblolly_rawpoly,
orthodont_transforms, orthodont_math, orthodont_sum_factor, orthodont_relevel_poly,
co2_power, co2_nesting, orthodont_offset, orthodont_backquoted); here the bases are
compared with R's to 1e-10 and the algebra and errors are checked by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpstats as hs
from helpstats.errors import ModelError
from helpstats.models import _transforms as tf
from helpstats.models._formula import parse_formula, parse_rhs

BASIS = json.loads((Path(__file__).resolve().parents[1] / "data" / "reference"
                    / "transforms_basis" / "expected.json").read_text())
X = np.array(BASIS["x"], dtype=float)
NEW = np.array(BASIS["new"], dtype=float)


def close(a: object, b: object, tol: float = 1e-10) -> None:
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=0, atol=tol)


# ------------------------------------------------------------------ bases vs R
def test_poly_equals_r_on_data_and_new_values() -> None:
    p = tf.poly_learn(X, 3)
    close(tf.poly_apply(X, p), BASIS["poly3"])
    close(tf.poly_apply(NEW, p), BASIS["poly3_new"])
    close(p["alpha"], BASIS["poly3_alpha"])
    close(p["norm2"], BASIS["poly3_norm2"], 1e-8)


@pytest.mark.parametrize(
    ("key", "kind", "opts"),
    [
        ("bs_df5", "bs", {"df": 5, "knots": None, "degree": 3, "intercept": False}),
        ("bs_knots_deg2", "bs", {"df": None, "knots": [6, 14], "degree": 2,
                                 "intercept": False}),
        ("ns_df4", "ns", {"df": 4, "knots": None, "degree": 3, "intercept": False}),
        ("ns_knot_int", "ns", {"df": None, "knots": [10], "degree": 3, "intercept": True}),
    ],
)
def test_splines_equal_r(key: str, kind: str, opts: dict[str, object]) -> None:
    p = tf.spline_learn(X, kind, boundary=None, **opts)  # type: ignore[arg-type]
    close(tf.spline_apply(X, p), BASIS[key])
    close(tf.spline_apply(NEW, p), BASIS[f"{key}_new"])  # beyond the boundary as R
    if f"{key}_knots" in BASIS:
        close(p["knots"], BASIS[f"{key}_knots"])


def test_contrast_matrices_equal_r() -> None:
    close(tf.contrast_matrix("poly", 5), BASIS["contr_poly5"])
    close(tf.contrast_matrix("sum", 4), BASIS["contr_sum4"])
    assert tf.contrast_suffixes("poly", list("abcde")) == [".L", ".Q", ".C", "^4"]


def test_scale_learns_r_centre_and_scale() -> None:
    d = pd.DataFrame({"x": X, "y": np.sin(X) + X / 10, "g": np.arange(len(X)) % 5})
    fit = hs.fit_mixed(d, "y ~ scale(x) + (1 | g)")
    (t,) = fit.spec.transforms
    assert (t.name, t.function, t.variables) == ("scale(x)", "scale", ("x",))
    close([t.params["center"], t.params["scale"]], [BASIS["scale_center"],
                                                    BASIS["scale_scale"]])


# ------------------------------------------------------------------ term algebra
@pytest.mark.parametrize(
    ("rhs", "terms"),
    [
        ("(a + b + c)^2", ["a", "b", "c", "a:b", "a:c", "b:c"]),
        ("(a + b + c)^2 - a:c", ["a", "b", "c", "a:b", "b:c"]),
        ("a/b", ["a", "a:b"]),
        ("(a + b)/c", ["a", "b", "a:b:c"]),
        ("b %in% a", ["b:a"]),
        ("a + b:a", ["a", "a:b"]),
        ("a*b - a", ["b", "a:b"]),
        ("a*b*c - a:b:c", ["a", "b", "c", "a:b", "a:c", "b:c"]),
        ("(1 + a):b", ["b", "a:b"]),
        ("I(x**2) + I(x^2)", ["I(x^2)"]),
        ("I(2*x + 1e6) + log(x + 1)", ["I(2 * x + 1e+06)", "log(x + 1)"]),
        ("poly(x, 2, raw=True)", ["poly(x, 2, raw = TRUE)"]),
        ("`my var` + `a-b`:`c+d`", ["`my var`", "`a-b`:`c+d`"]),
        ("C(arm, Treatment('usual'))", ['C(arm, Treatment("usual"))']),
    ],
)
def test_term_expansion_follows_r(rhs: str, terms: list[str]) -> None:
    assert [":".join(t) for t in parse_rhs(rhs).terms] == terms


@pytest.mark.parametrize(("rhs", "intercept"),
                         [("0 + a", False), ("a - 1", False), ("-1 + a", False),
                          ("a + 0 + 1", True), ("a", True)])
def test_intercept_rules(rhs: str, intercept: bool) -> None:
    assert parse_rhs(rhs).intercept is intercept


def test_formula_parts() -> None:
    f = parse_formula("log(`y 1`) ~ poly(t, 2) + offset(log(n)) + (1 + I(t - 1) || id/site)")
    assert f.response == "log(`y 1`)"
    assert f.columns == ("y 1", "t", "n", "site", "id")
    assert [(r.group, [":".join(t) for t in r.rhs.terms]) for r in f.random] == [
        ("site:id", []), ("site:id", ["I(t - 1)"]), ("id", []), ("id", ["I(t - 1)"])]
    assert parse_formula("`y 1` ~ x + (1 | g)").response == "y 1"


def test_power_of_one_variable_warns_as_r_reads_it() -> None:
    with pytest.warns(UserWarning, match=r"I\(x\^2\) or poly\(x, 2\)"):
        assert parse_rhs("x^2").terms == (("x",),)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("formula", "needles"),
    [
        ("y ~ foo(x) + (1 | g)", ["'y ~ foo(x) + (1 | g)'", "foo() is not supported",
                                  "compute the column beforehand"]),
        ("y ~ . + (1 | g)", ["'.' (all other columns)", "list the columns", "^"]),
        ("y ~ x %o% z + (1 | g)", ["%o% is not supported", "^"]),
        ("y ~ x + 2 + (1 | g)", ["the number 2", "I(2 * x)"]),
        ("y ~ x^1.5 + (1 | g)", ["'^' needs", "I(x^2) or poly(x, 2)"]),
        ("y ~ x[1] + (1 | g)", ["indexing", "compute the column beforehand"]),
        ("y ~ log(x, 2) + (1 | g)", ["log() takes one argument", "I(log(x) / log(base))"]),
        ("y ~ C(arm, helmert) + (1 | g)", ["contrast 'helmert' is not supported",
                                           "C(arm, sum)"]),
        ("y ~ relevel(arm, 'zzz') + (1 | g)", ["'zzz' is not a level"]),
        ("y ~ log(z) + (1 | g)", ["not finite", "log1p"]),
        ("y ~ x + (1 | g) - (1 | g)", ["cannot be subtracted"]),
        ("y + x ~ x + (1 | g)", ["I(y + x)"]),
    ],
)
def test_unsupported_constructs_say_how_to_write_them(formula: str, needles: list[str]) -> None:
    d = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 7], "x": [0.0, 1, 2, 0, 1, 2],
                      "z": [0.0, 1, 2, 3, 4, 5], "arm": list("ababab"), "g": [1, 1, 2, 2, 3, 3]})
    with pytest.raises(ModelError) as err:
        hs.fit_mixed(d, formula)
    for needle in needles:
        assert needle in str(err.value), str(err.value)


# ------------------------------------------------------------------ models with transforms
def panel(seed: int = 0, n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pid = np.repeat(np.arange(n), 4)
    t = np.tile(np.arange(4.0), n)
    arm = np.where(np.arange(n) % 3 == 0, "usual", np.where(np.arange(n) % 3 == 1, "peer",
                                                             "online"))[pid]
    y = 10 + rng.normal(0, 2, n)[pid] + 0.5 * t - 0.7 * t * (arm == "peer") + rng.normal(size=4 * n)
    return pd.DataFrame({"y": y, "t": t, "arm": arm, "pid": pid, "n": 1 + pid % 4})


def test_center_equals_shift_by_the_mean() -> None:
    d = panel()
    a = hs.fit_mixed(d, "y ~ center(t) * arm + (1 | pid)")
    b = hs.fit_mixed(d, "y ~ I(t - 1.5) * arm + (1 | pid)")
    close(a.coef.to_numpy(), b.coef.to_numpy(), 1e-8)
    assert a.coef.index[1] == "center(t)"


def test_reference_level_choices_agree() -> None:
    d = panel()
    tr = hs.fit_mixed(d, "y ~ C(arm, Treatment('usual')) * t + (1 | pid)")
    rl = hs.fit_mixed(d, "y ~ relevel(arm, ref = 'usual') * t + (1 | pid)")
    ct = hs.fit_mixed(d, "y ~ C(arm, contr.treatment(3, base = 3)) * t + (1 | pid)")
    assert list(tr.coef.index[:3]) == ["(Intercept)", "C(arm, Treatment(\"usual\"))online",
                                       "C(arm, Treatment(\"usual\"))peer"]
    assert list(rl.coef.index[:3]) == ["(Intercept)", "relevel(arm, ref = \"usual\")online",
                                       "relevel(arm, ref = \"usual\")peer"]
    for other in (rl, ct):
        close(tr.coef.to_numpy(), other.coef.to_numpy(), 1e-8)
        close(tr.fixed["se"], other.fixed["se"], 1e-8)
    assert tr.spec.factors[0].reference == "usual"
    assert rl.spec.factor_levels("arm") == ("usual", "online", "peer")
    assert list(rl.emmeans("arm")["arm"]) == ["usual", "online", "peer"]
    close(tr.emmeans("arm")["emmean"], rl.emmeans("arm").set_index("arm").loc[
        ["online", "peer", "usual"], "emmean"], 1e-8)


def test_random_slope_with_a_transform() -> None:
    d = panel(3)
    fit = hs.fit_mixed(d, "y ~ poly(t, 2) + (1 + poly(t, 2) || pid)")
    assert fit.spec.random[1].columns == ("poly(t, 2)1", "poly(t, 2)2")
    assert list(fit.ranef()["pid"].columns) == ["(Intercept)", "poly(t, 2)1", "poly(t, 2)2"]


def test_spec_rebuilds_the_model_matrix_for_new_data() -> None:
    d = panel(1)
    fit = hs.fit_mixed(d, "log(y) ~ arm * ns(t, df = 2) + scale(t) + (1 | pid)")
    spec = fit.spec
    assert spec.response == "log(y)" and spec.response_variables == ("y",)
    assert spec.variables == ("y", "arm", "t", "pid")
    assert spec.terms == ("arm", "ns(t, df = 2)", "scale(t)", "arm:ns(t, df = 2)")
    X = spec.fixed_matrix(fit.data)
    # rows of a reversed, re-indexed copy are the same rows
    again = spec.fixed_matrix(fit.data.iloc[::-1].reset_index(drop=True))
    close(again[::-1], X, 1e-12)
    # one new row evaluates with the learned knots and centre, not its own
    one = spec.fixed_matrix(fit.data.iloc[[5]])
    close(one, X[[5]], 1e-12)
    close(fit.fitted().to_numpy(), np.log(d["y"]) - fit.residuals().to_numpy(), 1e-10)
    with pytest.raises(ModelError, match="not fitted with"):
        spec.fixed_matrix(pd.DataFrame({"arm": ["nope"], "t": [1.0]}))


def test_numeric_column_as_factor_keeps_its_levels_on_new_data() -> None:
    d = panel(2)
    fit = hs.fit_mixed(d, "y ~ factor(t) + (1 | pid)")
    assert fit.spec.factor_levels("t") == (0.0, 1.0, 2.0, 3.0)
    em = fit.emmeans("t")
    assert em["t"].tolist() == [0.0, 1.0, 2.0, 3.0]
    obs = d.groupby("t")["y"].mean().to_numpy()  # a saturated balanced model: cell means
    close(em["emmean"], obs, 1e-8)
