# Reference fits of R's mmrm package (openpharma/mmrm 0.3.18, built from its git HEAD
# against Debian's TMB 1.9.2) for helpstats' fit_mmrm. Run from this folder:
#   R_LIBS=/tmp/rlib Rscript make.R
source("data.R")
sets <- list(
  fev = list(d = fev, f = "FEV1 ~ RACE + SEX + ARMCD * AVISIT", v = "AVISIT", s = "USUBJID"),
  orthodont = list(d = ort, f = "distance ~ Sex * visit", v = "visit", s = "Subject"))
covs <- c(us = "us", toep = "toep", ar1 = "ar1", cs = "cs", csh = "csh", adh = "adh")
combos <- list(
  c("Satterthwaite", "Asymptotic"), c("Kenward-Roger", "Kenward-Roger"),
  c("Satterthwaite", "Empirical"), c("Satterthwaite", "Empirical-Jackknife"),
  c("Satterthwaite", "Empirical-Bias-Reduced"))
out <- list()
for (nm in names(sets)) {
  s <- sets[[nm]]
  for (cv in names(covs)) {
    f <- as.formula(paste0(s$f, " + ", covs[[cv]], "(", s$v, " | ", s$s, ")"))
    for (cb in combos) {
      fit <- tryCatch(mmrm(f, data = s$d, reml = TRUE, method = cb[1], vcov = cb[2]),
                      error = function(e) NULL)
      if (is.null(fit)) next
      co <- summary(fit)$coefficients
      out[[length(out) + 1]] <- list(
        data = nm, covariance = cv, method = cb[1], vcov = cb[2], formula = s$f,
        converged = fit$opt_details$convergence == 0,
        loglik = as.numeric(logLik(fit)), terms = rownames(co),
        estimate = unname(co[, "Estimate"]), se = unname(co[, "Std. Error"]),
        df = unname(co[, "df"]))
    }
  }
}
kr_emp <- tryCatch({mmrm(FEV1 ~ ARMCD + us(AVISIT | USUBJID), data = fev,
                         method = "Kenward-Roger", vcov = "Empirical"); "accepted"},
                   error = function(e) conditionMessage(e))
write_json(list(source = "R package mmrm (openpharma/mmrm)",
                mmrm = as.character(packageVersion("mmrm")),
                kenward_roger_empirical = kr_emp, fits = out),
           "expected.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
