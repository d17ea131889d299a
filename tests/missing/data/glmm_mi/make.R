# Reference for pooling GLMM marginal means and odds ratios over imputations (Rubin's rules
# on the link scale, then back-transformed), from the completed sleepstudy sets of
# ../sleepstudy_mi (imputed by mice). Outcome: Reaction > 300 ms; period = Days 0-3, 4-7, 8-9.
# Each set: glmer(high ~ period + (1 | Subject), binomial, Laplace); emmeans on the link scale;
# pooled with mitml::testEstimates (Rubin's rules; complete-data df infinite, as for z tests).
# Run from this folder: Rscript make.R   (lme4, emmeans, mitml, jsonlite from Debian)
suppressPackageStartupMessages({library(lme4); library(emmeans); library(mitml); library(jsonlite)})
sets <- lapply(1:5, function(i) {
  d <- read.csv(sprintf("../sleepstudy_mi/completed_%d.csv", i))
  d$high <- as.integer(d$Reaction > 300)
  d$period <- factor(ifelse(d$Days <= 3, "early", ifelse(d$Days <= 7, "middle", "late")),
                     levels = c("early", "middle", "late"))
  d
})
fits <- lapply(sets, function(d) glmer(high ~ period + (1 | Subject), data = d, family = binomial,
                                       control = glmerControl(optimizer = "bobyqa")))
emm <- lapply(fits, function(f) as.data.frame(emmeans(f, ~ period)))
con <- lapply(fits, function(f) as.data.frame(pairs(emmeans(f, ~ period), adjust = "none")))
pool_rows <- function(tables, est) {
  q <- sapply(tables, function(t) t[[est]]); u <- sapply(tables, function(t) t$SE^2)
  te <- t(sapply(seq_len(nrow(q)), function(j)
    testEstimates(qhat = q[j, , drop = FALSE], uhat = array(u[j, ], c(1, 1, ncol(q))))$estimates))
  list(estimate = te[, 1], se = te[, 2], df = te[, 4], p = te[, 5], riv = te[, 6], fmi = te[, 7])
}
pe <- pool_rows(emm, "emmean"); pc <- pool_rows(con, "estimate")
z <- function(r) qt(0.975, r$df)
out <- list(
  period = as.character(emm[[1]]$period),
  emmean_link = pe$estimate, se_link = pe$se, df = pe$df, riv = pe$riv,
  prob = plogis(pe$estimate), prob_lower = plogis(pe$estimate - z(pe) * pe$se),
  prob_upper = plogis(pe$estimate + z(pe) * pe$se),
  contrast = as.character(con[[1]]$contrast), log_or = pc$estimate, log_or_se = pc$se,
  odds_ratio = exp(pc$estimate), or_lower = exp(pc$estimate - z(pc) * pc$se),
  or_upper = exp(pc$estimate + z(pc) * pc$se), contrast_p = pc$p,
  per_fit_emmean = lapply(emm, function(t) t$emmean))
write_json(out, "expected.json", digits = 12, pretty = TRUE)
