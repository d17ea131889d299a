"""Linear mixed models with lme4 parity (see :func:`fit_mixed`)."""
