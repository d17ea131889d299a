# Profile-likelihood intervals of GLMMs: lme4's confint(fit, method = "profile").
# Data: lme4::cbpp (GPL >= 2). Fits with the tight controls of ../_common.R; the
# profile is splined by lme4, so its limits carry ~1e-4 relative interpolation error.
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
tight <- glmerControl(optimizer = c("bobyqa", "bobyqa"), tolPwrss = 1e-12,
                      optCtrl = list(maxfun = 1e5, rhoend = 1e-10))
d <- cbpp
d$noninc <- d$size - d$incidence
d$time <- as.numeric(d$period) - 1
write.csv(d, "data.csv", row.names = FALSE)
rec <- function(m, formula, nagq) {
  ci <- confint(m, method = "profile", level = 0.95)
  list(formula = formula, nagq = nagq, parm = rownames(ci), lower = unname(ci[, 1]),
       upper = unname(ci[, 2]), loglik = as.numeric(logLik(m)))
}
cases <- list()
m <- glmer(cbind(incidence, noninc) ~ period + (1 | herd), d, binomial, control = tight)
cases$laplace <- rec(m, "cbind(incidence, noninc) ~ period + (1 | herd)", 1)
m5 <- glmer(cbind(incidence, noninc) ~ period + (1 | herd), d, binomial, nAGQ = 5,
            control = tight)
cases$agq5 <- rec(m5, "cbind(incidence, noninc) ~ period + (1 | herd)", 5)
ms <- glmer(cbind(incidence, noninc) ~ time + (time | herd), d, binomial, control = tight)
cases$slope <- rec(ms, "cbind(incidence, noninc) ~ time + (time | herd)", 1)
write_json(cases, "expected.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
