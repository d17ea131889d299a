# Reference for helpstats' pooling (Rubin's rules, Barnard-Rubin df, D1) against mice and mitml.
# Data: lme4::sleepstudy (Belenky et al. 2003; shipped with lme4, GPL), with every 5th Reaction
# set missing (deterministic), imputed m = 5 times by mice (pmm, seed 20261202).
# Run from this folder: Rscript make.R   (R 4.2, lme4 1.1-31, lmerTest, mice 3.15, mitml 0.4-4)
suppressPackageStartupMessages({library(lme4); library(lmerTest); library(mice); library(mitml); library(jsonlite)})
d <- sleepstudy
d$Subject <- factor(d$Subject)  # a factor, so mice uses it as a predictor
d$Reaction[seq(3, nrow(d), by = 5)] <- NA
write.csv(d, "data.csv", row.names = FALSE)
imp <- mice(d, m = 5, seed = 20261202, printFlag = FALSE, method = c(Reaction = "pmm", Days = "", Subject = ""))
completed <- lapply(1:5, function(i) complete(imp, i))
for (i in 1:5) write.csv(completed[[i]], sprintf("completed_%d.csv", i), row.names = FALSE)
fits <- lapply(completed, function(x) lmer(Reaction ~ Days + (Days | Subject), data = x, REML = TRUE,
                                           control = lmerControl(optimizer = "bobyqa")))
qhat <- sapply(fits, fixef)
uhat <- lapply(fits, function(f) as.matrix(vcov(f)))
dfs <- sapply(fits, function(f) summary(f)$coefficients[, "df"])
dfcom <- rowMeans(dfs)
per_fit <- lapply(1:5, function(i) list(estimate = unname(qhat[, i]), vcov = unname(uhat[[i]]),
                                        df = unname(dfs[, i])))
te <- testEstimates(qhat = qhat, uhat = uhat)$estimates
# mitml takes one df.com; pool each coefficient with its own averaged Satterthwaite df
te_df <- t(sapply(1:2, function(j) testEstimates(qhat = qhat[j, , drop = FALSE],
                                                 uhat = lapply(uhat, function(u) u[j, j, drop = FALSE]),
                                                 df.com = dfcom[j])$estimates))
# mice's scalar pooling of the Days slope with dfcom = its averaged df (mice::pool.scalar)
ps <- pool.scalar(qhat[2, ], sapply(uhat, function(u) u[2, 2]), n = dfcom[2] + 1, k = 1)
# D1: all coefficients zero, and the slope alone, with and without df.com
d1 <- mitml::testConstraints(qhat = qhat, uhat = uhat, constraints = c("Days", "(Intercept)"), method = "D1")
d1c <- mitml::testConstraints(qhat = qhat, uhat = uhat, constraints = c("Days", "(Intercept)"),
                              method = "D1", df.com = 150)
d1days <- mitml::testConstraints(qhat = qhat, uhat = uhat, constraints = "Days", method = "D1")
out <- list(
  per_fit = per_fit,
  dfcom = unname(dfcom),
  inf = list(estimate = unname(te[, 1]), se = unname(te[, 2]), df = unname(te[, 4]),
             riv = unname(te[, 6]), fmi = unname(te[, 7])),
  satterthwaite = list(estimate = unname(te_df[, 1]), se = unname(te_df[, 2]), df = unname(te_df[, 4]),
                       riv = unname(te_df[, 6]), fmi = unname(te_df[, 7])),
  pool_scalar_days = list(qbar = ps$qbar, t = ps$t, df = ps$df, r = ps$r, fmi = ps$fmi, lambda = ps$lambda),
  d1 = list(F = unname(d1$test[1, "F.value"]), df1 = unname(d1$test[1, "df1"]), df2 = unname(d1$test[1, "df2"]),
            riv = unname(d1$test[1, "RIV"])),
  d1_days = list(F = unname(d1days$test[1, "F.value"]), df2 = unname(d1days$test[1, "df2"])),
  d1_dfcom150 = list(F = unname(d1c$test[1, "F.value"]), df2 = unname(d1c$test[1, "df2"]))
)
write_json(out, "expected.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
