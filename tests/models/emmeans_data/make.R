# Reference values for the shared reference grid and adjusted contrast intervals.
# Data: lme4's sleepstudy (GPL >= 2; Belenky et al. 2003) with two columns added at
# random (seed 1): g, a two-level factor; x, a 0/1 covariate; h, a three-level factor.
suppressMessages({library(lme4); library(emmeans); library(jsonlite)})
data(sleepstudy)
set.seed(1)
d <- sleepstudy
d$g <- factor(sample(c("a", "b"), nrow(d), TRUE))
d$x <- rbinom(nrow(d), 1, 0.3)
d$h <- factor(sample(c("p", "q", "r"), nrow(d), TRUE))
write.csv(d, "data.csv", row.names = FALSE)
f <- lmer(Reaction ~ g + x + h + Days + (1 | Subject), d)
em <- summary(emmeans(f, "g", lmer.df = "satterthwaite"))   # cov.keep = "2": x at 0 and 1
out <- list(emmeans_g = list(emmean = em$emmean, se = em$SE, df = em$df,
                             lower = em$lower.CL, upper = em$upper.CL))
for (adj in c("tukey", "holm", "sidak", "bonferroni")) {
  ct <- summary(contrast(emmeans(f, "h", lmer.df = "satterthwaite"), "pairwise", adjust = adj),
                infer = TRUE)
  out[[paste0("pairs_h_", adj)]] <- list(contrast = as.character(ct$contrast),
    estimate = ct$estimate, se = ct$SE, df = ct$df, lower = ct$lower.CL,
    upper = ct$upper.CL, p = ct$p.value)
}
write_json(out, "expected.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
