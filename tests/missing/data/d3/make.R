# Reference for helpstats' D3 pooling (PooledFit.compare): mitml::testModels(method = "D3") on the
# completed sleepstudy sets of ../sleepstudy_mi (imputed by mice), lmer by maximum likelihood.
# Run from this folder: Rscript make.R   (lme4, mitml, jsonlite from Debian)
suppressPackageStartupMessages({library(lme4); library(mitml); library(jsonlite)})
sets <- lapply(1:5, function(i) {
  d <- read.csv(sprintf("../sleepstudy_mi/completed_%d.csv", i))
  d$period <- factor(ifelse(d$Days <= 3, "early", ifelse(d$Days <= 7, "middle", "late")),
                     levels = c("early", "middle", "late"))
  d
})
ml <- function(formula) lapply(sets, function(d) lmer(formula, data = d, REML = FALSE,
                                                      control = lmerControl(optimizer = "bobyqa")))
case <- function(full, null) {
  t <- testModels(ml(full), ml(null), method = "D3")$test
  list(F = t[1, "F.value"], num_df = t[1, "df1"], den_df = t[1, "df2"], p = t[1, "P(>F)"],
       riv = t[1, "RIV"])
}
out <- list(
  slope = case(Reaction ~ Days + (Days | Subject), Reaction ~ 1 + (Days | Subject)),
  period = case(Reaction ~ period + (1 | Subject), Reaction ~ 1 + (1 | Subject)),
  two_terms = case(Reaction ~ Days + period + (1 | Subject) + (0 + Days | Subject),
                   Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)))
write_json(out, "expected.json", digits = 12, auto_unbox = TRUE, pretty = TRUE)
