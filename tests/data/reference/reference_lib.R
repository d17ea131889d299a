# Shared helpers for the make.R scripts in this folder.
#
# Each case folder holds make.R, which builds data.csv from an R package data set, re-reads
# data.csv (so the numbers belong to exactly the file we ship), fits the model with
# lmerTest::lmer and writes expected.json with write_reference().  The JSON layout is the
# one of ../../../../shared/reference/*/expected.json (dataset, source, formula, reml, n_obs,
# n_groups, loglik, sigma, fixed, varcorr, emmeans, r_versions) plus the extra keys
# documented in SOURCE.md (factor_levels, is_singular, anova, contrasts, vcov, theta, ...).
#
# R is only used to generate reference numbers; helpstats never depends on it.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(emmeans)
  library(jsonlite)
})

# Satterthwaite df (via lmerTest) for every emmeans call, whatever the number of rows:
# emmeans would otherwise prefer Kenward-Roger, or switch to asymptotic df above 3000 rows.
emm_options(lmer.df = "satterthwaite", lmerTest.limit = Inf, pbkrtest.limit = 0)

write_case_data <- function(d, path = "data.csv") {
  utils::write.csv(d, path, row.names = FALSE)
  invisible(path)
}

# Re-read data.csv: `levels` gives the level order of each fixed-effect factor (the first
# level is the reference, as in R's treatment contrasts); `groups` lists grouping factors.
read_case_data <- function(path = "data.csv", levels = list(), groups = character()) {
  char_cols <- c(names(levels), groups)
  cc <- setNames(rep("character", length(char_cols)), char_cols)
  d <- utils::read.csv(path, colClasses = cc, check.names = FALSE)
  for (v in names(levels)) {
    bad <- setdiff(unique(d[[v]][!is.na(d[[v]])]), levels[[v]])
    if (length(bad)) stop("column ", v, " has values not in the given levels: ", paste(bad, collapse = ", "))
    d[[v]] <- factor(d[[v]], levels = levels[[v]])
  }
  for (g in groups) d[[g]] <- factor(d[[g]])
  d
}

# Fit and record every message and warning lme4 prints (e.g. "boundary (singular) fit").
fit_case <- function(formula, data, reml, weights = NULL) {
  msgs <- character()
  w <- if (is.null(weights)) NULL else data[[weights]]
  fit <- withCallingHandlers(
    lmerTest::lmer(stats::as.formula(formula), data = data, REML = reml, weights = w),
    message = function(m) { msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") },
    warning = function(w) { msgs <<- c(msgs, trimws(conditionMessage(w))); invokeRestart("muffleWarning") }
  )
  attr(fit, "fit_messages") <- msgs
  attr(fit, "formula_as_written") <- formula
  attr(fit, "weights_column") <- weights
  attr(fit, "case_data") <- data
  fit
}

rows <- function(df) {
  df <- as.data.frame(df, stringsAsFactors = FALSE)
  for (v in names(df)) if (is.factor(df[[v]])) df[[v]] <- as.character(df[[v]])
  rownames(df) <- NULL
  df
}

# emmeans' summary as plain rows; `by` columns kept; names as emmeans prints them.
emm_rows <- function(x) {
  s <- as.data.frame(summary(x, infer = c(TRUE, FALSE), level = 0.95))
  rows(s)
}
contrast_rows <- function(x) {
  s <- as.data.frame(summary(x, infer = c(FALSE, TRUE)))
  rows(s)
}

spec_at <- function(at) {
  if (length(at) == 0) return(structure(list(), names = character(0)))
  lapply(at, I)
}

# One emmeans entry: the marginal means and their unadjusted pairwise differences
# (pairs(adjust = "none")), exactly the layout of the shipped references.
emmeans_entry <- function(fit, spec, at = list()) {
  emm <- emmeans::emmeans(fit, stats::as.formula(spec), at = if (length(at)) at else NULL)
  table <- emm_rows(emm)
  list(spec = spec, at = spec_at(at), table = table,
       pairs = if (nrow(table) > 1) contrast_rows(pairs(emm, adjust = "none")) else list())
}

# One contrasts entry: method = "pairwise" | "revpairwise" | "trt.vs.ctrl", any adjust.
contrast_entry <- function(fit, spec, method = "pairwise", adjust = "none", at = list()) {
  emm <- emmeans::emmeans(fit, stats::as.formula(spec), at = if (length(at)) at else NULL)
  list(spec = spec, at = spec_at(at), method = method, adjust = adjust,
       table = contrast_rows(emmeans::contrast(emm, method = method, adjust = adjust)))
}

# Refit with lme4's other optimizers: how close the default (nloptwrap) came to the optimum.
optimizer_check <- function(fit) {
  lapply(c(bobyqa = "bobyqa", Nelder_Mead = "Nelder_Mead"), function(opt) {
    msgs <- character()
    g <- withCallingHandlers(
      lme4::lmer(formula(fit), data = attr(fit, "case_data"), REML = isREML(fit),
                 weights = if (is.null(attr(fit, "weights_column"))) NULL else
                   attr(fit, "case_data")[[attr(fit, "weights_column")]],
                 control = lme4::lmerControl(optimizer = opt)),
      message = function(m) { msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") },
      warning = function(w) { msgs <<- c(msgs, trimws(conditionMessage(w))); invokeRestart("muffleWarning") })
    list(loglik = as.numeric(logLik(g)), theta = as.list(getME(g, "theta")), messages = I(msgs))
  })
}

anova_rows <- function(fit) {
  a <- as.data.frame(anova(fit, type = 3, ddf = "Satterthwaite"))
  if (nrow(a) == 0) return(list())
  data.frame(term = rownames(a), sum_sq = a[["Sum Sq"]], mean_sq = a[["Mean Sq"]],
             num_df = a[["NumDF"]], den_df = a[["DenDF"]], F = a[["F value"]], p = a[["Pr(>F)"]],
             stringsAsFactors = FALSE)
}

write_reference <- function(fit, dataset, source, file = "expected.json", emmeans = list(),
                            contrasts = list(), factor_levels = list(), n_rows_in_data = NULL,
                            ranef_max_rows = 400) {
  cf <- summary(fit)$coefficients
  fixed <- data.frame(term = rownames(cf), estimate = cf[, "Estimate"], se = cf[, "Std. Error"],
                      df = cf[, "df"], t = cf[, "t value"], p = cf[, "Pr(>|t|)"],
                      stringsAsFactors = FALSE)
  rownames(fixed) <- NULL
  vc <- rows(as.data.frame(VarCorr(fit)))
  V <- as.matrix(vcov(fit))
  re <- rows(as.data.frame(ranef(fit, condVar = TRUE)))
  ll <- logLik(fit)
  oi <- fit@optinfo
  msgs <- attr(fit, "fit_messages")
  # lme4 files the singular-fit note among its convergence messages; it is not a failure
  # to converge (is_singular reports it), so "converged" ignores it.
  conv_msgs <- c(oi$conv$lme4$messages, unlist(oi$warnings))
  conv_msgs <- conv_msgs[!grepl("boundary (singular) fit", conv_msgs, fixed = TRUE)]
  out <- list(
    dataset = dataset,
    source = source,
    formula = attr(fit, "formula_as_written"),
    weights = attr(fit, "weights_column"),
    reml = isREML(fit),
    n_obs = nobs(fit),
    n_rows_in_data = if (is.null(n_rows_in_data)) nobs(fit) else n_rows_in_data,
    n_groups = as.list(ngrps(fit)),
    loglik = as.numeric(ll),
    n_params = attr(ll, "df"),
    aic = AIC(fit),
    bic = BIC(fit),
    deviance_criterion = unname(if (isREML(fit)) fit@devcomp$cmp[["REML"]] else fit@devcomp$cmp[["dev"]]),
    sigma = sigma(fit),
    is_singular = isSingular(fit),
    converged = length(conv_msgs) == 0,
    messages = I(msgs),
    fixed = fixed,
    varcorr = vc,
    theta = as.list(getME(fit, "theta")),
    vcov = list(terms = I(rownames(V)), matrix = unname(V)),
    emmeans = emmeans,
    contrasts = contrasts,
    anova = anova_rows(fit),
    factor_levels = lapply(factor_levels, I),
    ranef = if (nrow(re) <= ranef_max_rows) re else list(),
    optimizer = list(name = oi$optimizer, feval = oi$feval, conv_code = oi$conv$opt),
    optimizer_check = optimizer_check(fit),
    r_versions = list(
      R = paste(R.version$major, R.version$minor, sep = "."),
      lme4 = as.character(packageVersion("lme4")),
      lmerTest = as.character(packageVersion("lmerTest")),
      emmeans = as.character(packageVersion("emmeans")),
      Matrix = as.character(packageVersion("Matrix"))
    )
  )
  txt <- jsonlite::toJSON(out, pretty = TRUE, auto_unbox = TRUE, digits = NA, na = "null",
                          null = "null", dataframe = "rows", matrix = "rowmajor")
  writeLines(txt, file)
  cat(sprintf("%s: loglik %.6f  singular %s  converged %s\n", dataset, out$loglik,
              out$is_singular, out$converged))
  if (length(msgs)) cat("  lme4 said:", paste(msgs, collapse = " | "), "\n")
  invisible(out)
}
