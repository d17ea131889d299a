# Shared helpers for the GLMM reference folders: each make.R sources this file,
# fits with tight tolerances and writes data.csv + expected.json beside itself.
suppressPackageStartupMessages({library(lme4); library(jsonlite); library(emmeans)})

tight <- glmerControl(optimizer = c("bobyqa", "bobyqa"), tolPwrss = 1e-12,
                      optCtrl = list(maxfun = 1e5, rhoend = 1e-10),
                      calc.derivs = TRUE)

vc_frame <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  vc$var1[is.na(vc$var1)] <- ""; vc$var2[is.na(vc$var2)] <- ""
  vc
}

fit_record <- function(fit, python, extra = list()) {
  cf <- summary(fit)$coefficients
  out <- c(python, list(
    loglik = as.numeric(logLik(fit)),
    theta = unname(getME(fit, "theta")),
    fixed = list(term = rownames(cf), estimate = unname(cf[, 1]), se = unname(cf[, 2])),
    varcorr = vc_frame(fit),
    r_version = paste(R.version$major, R.version$minor, sep = "."),
    lme4_version = as.character(packageVersion("lme4"))
  ))
  c(out, extra)
}

emm_record <- function(fit, specs, by = NULL) {
  e <- as.data.frame(summary(emmeans(fit, specs, by = by, type = "response")))
  names(e)[names(e) %in% c("prob", "rate", "response")] <- "response"
  e
}

contrast_record <- function(fit, specs, by = NULL) {
  e <- emmeans(fit, specs, by = by)
  ct <- as.data.frame(summary(pairs(e, type = "response"), infer = c(TRUE, TRUE)))
  names(ct)[names(ct) %in% c("odds.ratio", "ratio")] <- "ratio"
  ct
}

write_ref <- function(data, levels, cases) {
  write.csv(data, "data.csv", row.names = FALSE)
  writeLines(toJSON(list(factor_levels = levels, cases = cases), auto_unbox = TRUE,
                    digits = NA, pretty = TRUE, na = "null"), "expected.json")
}

# glmer.nb's own search for the NB2 dispersion stops at tol = 5e-5 (and its `tol`
# argument cannot be passed through); refine it on the same Laplace log-likelihood.
nb_tight <- function(f, d) {
  nb0 <- glmer.nb(f, d)  # its default control: PIRLS at tolPwrss = 1e-12 can stall inside glmer.nb
  th0 <- getME(nb0, "glmer.nb.theta")
  nll <- function(lt) -as.numeric(logLik(glmer(f, d, family = MASS::negative.binomial(exp(lt)),
                                               control = tight)))
  o <- optimize(nll, log(th0) + c(-0.2, 0.2), tol = 1e-9)
  fit <- glmer(f, d, family = MASS::negative.binomial(exp(o$minimum)), control = tight)
  list(fit = fit, dispersion = exp(o$minimum), glmer_nb_loglik = as.numeric(logLik(nb0)),
       glmer_nb_dispersion = th0)
}
