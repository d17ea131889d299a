# Kenward-Roger and profile-likelihood references for every model folder here.
# For each folder with expected.json (a model case), refit exactly that model from data.csv
# (same formula, REML flag and factor levels as its make.R) to convergence -- with lme4's
# default optimizer and with optimizer = "bobyqa", keeping the higher log-likelihood
# (recorded as `optimizer`; e.g. Orthodont and Loblolly, where the default stops short) --
# and write inference.json beside it (`theta`, `loglik` of that fit):
#   - kenward_roger (REML fits only; lmerTest refuses KR for ML fits):
#       fixed = summary(fit, ddf = "Kenward-Roger") coefficients (term, estimate, se, df, t, p),
#       vcov_adj = pbkrtest::vcovAdj(fit) (row-major), anova = anova(fit, type = 3,
#       ddf = "Kenward-Roger"), emmeans = the expected.json emmeans specs with
#       emm_options(lmer.df = "kenward-roger") (table + unadjusted pairs).
#   - profile (when n_obs <= 2000): confint(fit, method = "profile", level = 0.95) as
#       parm, lower, upper (lme4's names .sig01, ..., .sigma, then the fixed effects).
#   - satterthwaite_df: summary(fit)'s df again at full precision (same as expected.json).
# Run: Rscript inference_extras.R [folder ...]   (default: every model folder)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("reference_lib.R")
suppressPackageStartupMessages(library(pbkrtest))
emm_options(lmer.df = "kenward-roger", pbkrtest.limit = Inf, lmerTest.limit = Inf)

old_levels <- list(drug = c("No", "Yes"), length = c("<6m", ">6m"), treatment = c("TAU", "BtheB"),
                   wave = c("2", "3", "5", "8"))

one_case <- function(folder) {
  exp <- jsonlite::fromJSON(file.path(folder, "expected.json"), simplifyVector = FALSE)
  if (is.null(exp$formula)) return(invisible(NULL))
  form <- stats::as.formula(exp$formula)
  groups <- unique(unlist(lapply(lme4::findbars(form), function(b) all.vars(b[[3]]))))
  levels <- lapply(exp$factor_levels, unlist)
  if (length(levels) == 0) {
    used <- intersect(all.vars(form), names(old_levels))
    levels <- old_levels[used]
  }
  d <- read_case_data(file.path(folder, "data.csv"), levels = levels, groups = groups)
  fit <- suppressMessages(suppressWarnings(lmerTest::lmer(form, data = d, REML = exp$reml)))
  alt <- suppressMessages(suppressWarnings(lmerTest::lmer(
    form, data = d, REML = exp$reml, control = lme4::lmerControl(optimizer = "bobyqa"))))
  optimizer <- "nloptwrap"
  if (as.numeric(logLik(alt)) > as.numeric(logLik(fit)) + 1e-7) {
    fit <- alt
    optimizer <- "bobyqa"
  }
  out <- list(dataset = folder, formula = exp$formula, reml = exp$reml, optimizer = optimizer,
              loglik = as.numeric(logLik(fit)), theta = as.list(getME(fit, "theta")))
  cf <- summary(fit)$coefficients
  out$satterthwaite_df <- as.list(setNames(cf[, "df"], rownames(cf)))
  if (isREML(fit)) {
    ck <- summary(fit, ddf = "Kenward-Roger")$coefficients
    fixed <- data.frame(term = rownames(ck), estimate = ck[, "Estimate"], se = ck[, "Std. Error"],
                        df = ck[, "df"], t = ck[, "t value"], p = ck[, "Pr(>|t|)"])
    rownames(fixed) <- NULL
    Va <- as.matrix(pbkrtest::vcovAdj(fit))
    a <- as.data.frame(anova(fit, type = 3, ddf = "Kenward-Roger"))
    anova_kr <- if (nrow(a)) data.frame(term = rownames(a), num_df = a[["NumDF"]],
                                        den_df = a[["DenDF"]], F = a[["F value"]], p = a[["Pr(>F)"]]) else list()
    emm <- lapply(exp$emmeans, function(e) {
      at <- lapply(e$at, unlist)
      emmeans_entry(fit, e$spec, at = at)
    })
    out$kenward_roger <- list(fixed = fixed, vcov_adj = list(terms = I(rownames(Va)), matrix = unname(Va)),
                              anova = anova_kr, emmeans = emm)
  }
  if (nobs(fit) <= 2000) {
    ci <- tryCatch(suppressMessages(suppressWarnings(
      confint(fit, method = "profile", level = 0.95))), error = function(e) NULL)
    if (!is.null(ci)) {
      out$profile <- list(level = 0.95, table = data.frame(parm = rownames(ci), lower = ci[, 1], upper = ci[, 2]))
    }
  }
  out$r_versions <- list(R = paste(R.version$major, R.version$minor, sep = "."),
                         lme4 = as.character(packageVersion("lme4")),
                         lmerTest = as.character(packageVersion("lmerTest")),
                         pbkrtest = as.character(packageVersion("pbkrtest")),
                         emmeans = as.character(packageVersion("emmeans")))
  txt <- jsonlite::toJSON(out, pretty = TRUE, auto_unbox = TRUE, digits = NA, na = "null",
                          null = "null", dataframe = "rows", matrix = "rowmajor")
  writeLines(txt, file.path(folder, "inference.json"))
  cat(sprintf("%-26s loglik %.6f%s%s\n", folder, out$loglik,
              if (!is.null(out$kenward_roger)) "  KR" else "",
              if (!is.null(out$profile)) "  profile" else ""))
}

folders <- commandArgs(TRUE)
if (!length(folders)) folders <- sort(list.dirs(".", full.names = FALSE, recursive = FALSE))
for (f in folders) if (file.exists(file.path(f, "expected.json"))) one_case(f)
