"""Response families and link functions for generalized linear mixed models.

A :class:`Family` knows its variance function, its log-density (with every
normalising constant, so log-likelihoods match R's ``logLik``), its deviance
residuals and how to check a response; a :class:`Link` maps the mean to the
linear predictor. The numerical guards (clamping of probabilities and of the
linear predictor) follow R's ``binomial()``, ``poisson()`` and
``MASS::negative.binomial()`` so that fits agree with ``glmer`` to many digits.

Examples
--------
>>> import numpy as np
>>> from helpstats.models import families
>>> fam = families.Binomial("probit")
>>> fam.name, fam.link.name
('binomial', 'probit')
>>> round(float(fam.link.inverse(np.array([0.0]))[0]), 3)
0.5
>>> families.get_family('binomial(link = "cloglog")').link.name
'cloglog'
>>> families.get_family("poisson").link.name
'log'
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

from ..errors import ModelError

__all__ = ["Binomial", "Family", "Link", "NegativeBinomial", "Poisson", "get_family", "get_link"]

_EPS = float(np.finfo(float).eps)
_PROBIT_THRESH = float(-stats.norm.ppf(_EPS))  # R: -qnorm(.Machine$double.eps)
_LOGIT_THRESH = 30.0
_BELOW_ONE = float(np.nextafter(1.0, 0.0))


@dataclass(frozen=True)
class Link:
    """A link function ``eta = g(mu)`` with its inverse and ``d mu / d eta``."""

    name: str

    def __post_init__(self) -> None:
        if self.name not in ("logit", "probit", "cloglog", "log", "identity"):
            raise ModelError(
                f"Unknown link {self.name!r}; expected one of 'logit', 'probit', 'cloglog', "
                "'log' or 'identity'."
            )

    def __call__(self, mu: np.ndarray) -> np.ndarray:
        """The link ``g(mu)``."""
        mu = np.asarray(mu, dtype=float)
        if self.name == "logit":
            return np.asarray(special.logit(mu))
        if self.name == "probit":
            return np.asarray(stats.norm.ppf(mu))
        if self.name == "cloglog":
            return np.log(-np.log1p(-mu))
        if self.name == "log":
            return np.log(mu)
        return mu

    def inverse(self, eta: np.ndarray) -> np.ndarray:
        """The inverse link ``mu = g^-1(eta)`` (R's ``linkinv``, with its clamping)."""
        eta = np.asarray(eta, dtype=float)
        if self.name == "logit":
            return np.asarray(special.expit(np.clip(eta, -_LOGIT_THRESH, _LOGIT_THRESH)))
        if self.name == "probit":
            return np.asarray(stats.norm.cdf(np.clip(eta, -_PROBIT_THRESH, _PROBIT_THRESH)))
        if self.name == "cloglog":
            return np.clip(-np.expm1(-np.exp(np.minimum(eta, 700.0))), _EPS, 1 - _EPS)
        if self.name == "log":
            return np.maximum(np.exp(np.minimum(eta, 700.0)), _EPS)
        return eta

    def mean_and_derivative(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``inverse(eta)`` and ``mu_eta(eta)`` together (shares work for logit and log)."""
        if self.name == "logit":
            mu = self.inverse(eta)
            return mu, np.maximum(mu * (1 - mu), _EPS)
        if self.name == "log":
            mu = np.maximum(np.exp(np.minimum(eta, 700.0)), _EPS)
            return mu, mu
        return self.inverse(eta), self.mu_eta(eta)

    def mu_eta(self, eta: np.ndarray) -> np.ndarray:
        """``d mu / d eta`` (R's ``mu.eta``)."""
        eta = np.asarray(eta, dtype=float)
        if self.name == "logit":
            e = np.clip(eta, -_LOGIT_THRESH, _LOGIT_THRESH)
            m = special.expit(e)
            return np.maximum(m * (1 - m), _EPS)
        if self.name == "probit":
            return np.maximum(stats.norm.pdf(eta), _EPS)
        if self.name == "cloglog":
            e = np.minimum(eta, 700.0)
            return np.maximum(np.exp(e - np.exp(e)), _EPS)
        if self.name == "log":
            return np.maximum(np.exp(np.minimum(eta, 700.0)), _EPS)
        return np.ones_like(eta)


@dataclass(frozen=True)
class Family(ABC):
    """Base class of the response families (use the subclasses, which implement every
    abstract method)."""

    name: str = field(init=False, default="")
    link: Link = field(default_factory=lambda: Link("identity"))

    @property
    def has_dispersion(self) -> bool:
        """Whether the family has a dispersion parameter estimated with the model."""
        return False

    @abstractmethod
    def variance(self, mu: np.ndarray) -> np.ndarray:
        """Variance function ``V(mu)``."""

    def logpdf(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Log-density of each observation, all constants included."""
        return self.kernel(y, mu, weights) + self.constant(y, weights)

    @abstractmethod
    def kernel(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The part of :meth:`logpdf` that depends on ``mu``."""

    @abstractmethod
    def constant(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The part of :meth:`logpdf` that does not depend on ``mu``."""

    @abstractmethod
    def dev_resid(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Squared deviance residuals (R's ``dev.resids``)."""

    @abstractmethod
    def start_mu(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Starting means (R's ``initialize``)."""

    def with_dispersion(self, dispersion: float) -> Family:
        """A copy with the dispersion parameter set (families that have one)."""
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(link={self.link.name!r})"

    def describe(self) -> str:
        """``family(link)`` text as glmer prints it."""
        return f"{self.name}  ( {self.link.name} )"


def _xlogy_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a * log(a / b)`` with 0 for a == 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / b), 0.0)


@dataclass(frozen=True, repr=False)
class Binomial(Family):
    """Binomial responses: proportions ``y`` of ``weights`` trials (0/1 with unit weights).

    Parameters
    ----------
    link : str or Link, default "logit"
        ``"logit"``, ``"probit"`` or ``"cloglog"`` (R's ``binomial(link=...)``).

    Examples
    --------
    >>> import numpy as np
    >>> fam = Binomial()
    >>> float(np.exp(fam.logpdf(np.array([0.5]), np.array([0.5]), np.array([2.0])))[0])
    0.5
    """

    name: str = field(init=False, default="binomial")
    link: Link = field(default_factory=lambda: Link("logit"))

    def __init__(self, link: str | Link = "logit") -> None:
        lk = link if isinstance(link, Link) else Link(str(link))
        if lk.name not in ("logit", "probit", "cloglog"):
            raise ModelError(
                f"The binomial family takes the link 'logit', 'probit' or 'cloglog', not "
                f"{lk.name!r}."
            )
        object.__setattr__(self, "link", lk)
        object.__setattr__(self, "name", "binomial")

    def variance(self, mu: np.ndarray) -> np.ndarray:
        return mu * (1 - mu)

    def kernel(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
        k = np.round(weights * y)
        mu = np.clip(mu, 1e-300, _BELOW_ONE)  # log and log1p stay finite: 0 * log is 0
        return np.asarray(k * np.log(mu) + (weights - k) * np.log1p(-mu))

    def constant(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        m = weights
        k = np.round(m * y)
        return np.asarray(special.gammaln(m + 1) - special.gammaln(k + 1)
                          - special.gammaln(m - k + 1))

    def dev_resid(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return 2 * weights * (_xlogy_ratio(y, mu) + _xlogy_ratio(1 - y, 1 - mu))

    def start_mu(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return (weights * y + 0.5) / (weights + 1)


@dataclass(frozen=True, repr=False)
class Poisson(Family):
    """Poisson counts (log link).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(Poisson().logpdf(np.array([2.0]), np.array([2.0]), np.ones(1))[0]), 6)
    -1.306853
    """

    name: str = field(init=False, default="poisson")
    link: Link = field(default_factory=lambda: Link("log"))

    def __init__(self, link: str | Link = "log") -> None:
        lk = link if isinstance(link, Link) else Link(str(link))
        if lk.name != "log":
            raise ModelError(f"The poisson family takes the link 'log', not {lk.name!r}.")
        object.__setattr__(self, "link", lk)
        object.__setattr__(self, "name", "poisson")

    def variance(self, mu: np.ndarray) -> np.ndarray:
        return mu

    def kernel(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.asarray(weights * (special.xlogy(y, mu) - mu))

    def constant(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.asarray(-weights * special.gammaln(y + 1))

    def dev_resid(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return 2 * weights * (_xlogy_ratio(y, mu) - (y - mu))

    def start_mu(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return y + 0.1


@dataclass(frozen=True, repr=False)
class NegativeBinomial(Family):
    """Negative binomial counts, NB2 (variance ``mu + mu^2 / dispersion``), log link.

    ``dispersion`` is R's ``theta`` of ``MASS::negative.binomial`` and glmmTMB's
    ``nbinom2`` (larger is closer to Poisson); leave it ``None`` to estimate it.

    Examples
    --------
    >>> import numpy as np
    >>> nb = NegativeBinomial(dispersion=2.0)
    >>> float(nb.variance(np.array([2.0]))[0])
    4.0
    """

    name: str = field(init=False, default="negative_binomial")
    link: Link = field(default_factory=lambda: Link("log"))
    dispersion: float | None = None

    def __init__(self, link: str | Link = "log", dispersion: float | None = None) -> None:
        lk = link if isinstance(link, Link) else Link(str(link))
        if lk.name != "log":
            raise ModelError(
                f"The negative binomial family takes the link 'log', not {lk.name!r}."
            )
        if dispersion is not None and not (np.isfinite(dispersion) and dispersion > 0):
            raise ModelError(f"dispersion must be a positive number, got {dispersion!r}.")
        object.__setattr__(self, "link", lk)
        object.__setattr__(self, "name", "negative_binomial")
        object.__setattr__(self, "dispersion", None if dispersion is None else float(dispersion))

    @property
    def has_dispersion(self) -> bool:
        return True

    def _k(self) -> float:
        if self.dispersion is None:
            raise ModelError("The negative binomial dispersion is not set yet.")
        return self.dispersion

    def variance(self, mu: np.ndarray) -> np.ndarray:
        return mu + mu**2 / self._k()

    def kernel(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
        k = self._k()
        return np.asarray(weights * (special.xlogy(y, mu) - (y + k) * np.log(k + mu)))

    def constant(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        k = self._k()
        return np.asarray(weights * (special.gammaln(y + k) - special.gammaln(k)
                                     - special.gammaln(y + 1) + k * np.log(k)))

    def dev_resid(self, y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> np.ndarray:
        k = self._k()
        return 2 * weights * (_xlogy_ratio(y, mu) - (y + k) * np.log((y + k) / (mu + k)))

    def start_mu(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return y + (y == 0) / 6.0

    def with_dispersion(self, dispersion: float) -> NegativeBinomial:
        return NegativeBinomial(self.link, dispersion)

    def __repr__(self) -> str:
        return f"NegativeBinomial(link={self.link.name!r}, dispersion={self.dispersion!r})"

    def describe(self) -> str:
        k = "estimated" if self.dispersion is None else f"{self.dispersion:.4g}"
        return f"Negative Binomial({k})  ( {self.link.name} )"


_NAMES = {"binomial": Binomial, "poisson": Poisson, "negative_binomial": NegativeBinomial,
          "negative.binomial": NegativeBinomial, "negativebinomial": NegativeBinomial,
          "nbinom2": NegativeBinomial, "nb2": NegativeBinomial, "nb": NegativeBinomial}
_CALL = re.compile(r"^\s*([A-Za-z_.0-9]+)\s*(?:\(\s*(?:link\s*=\s*)?[\"']?([A-Za-z]*)[\"']?\s*\))?\s*$")


def get_link(link: str | Link) -> Link:
    """A :class:`Link` from its name (or the link itself)."""
    return link if isinstance(link, Link) else Link(str(link))


def get_family(family: str | Family, link: str | Link | None = None) -> Family:
    """Resolve a family given as an object or as text.

    Parameters
    ----------
    family : str or Family
        ``"binomial"``, ``"poisson"``, ``"negative_binomial"`` (also ``"nbinom2"``),
        R-style text such as ``'binomial(link = "probit")'``, or a :class:`Family`.
    link : str, optional
        Overrides the family's link (default: R's default link of the family).

    Examples
    --------
    >>> get_family("binomial", link="probit")
    Binomial(link='probit')
    """
    if isinstance(family, Family):
        if link is None:
            return family
        if isinstance(family, NegativeBinomial):
            return NegativeBinomial(get_link(link), family.dispersion)
        return type(family)(get_link(link))
    if not isinstance(family, str):
        raise ModelError(
            f"family must be a name such as 'binomial' or a helpstats.families object, "
            f"got {type(family).__name__}."
        )
    m = _CALL.match(family)
    key = m.group(1).lower() if m else ""
    if not m or key not in _NAMES:
        raise ModelError(
            f"Unknown family {family!r}; expected 'binomial', 'poisson' or "
            "'negative_binomial' (optionally as 'binomial(link = \"probit\")')."
        )
    name = link if link is not None else (m.group(2) or None)
    cls = _NAMES[key]
    return cls() if name is None else cls(get_link(name))
