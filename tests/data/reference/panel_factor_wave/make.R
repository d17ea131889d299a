# Reference: factor x factor fixed effects with Tukey / Sidak / Holm adjusted contrasts and a
# multi-df Type III table. Data: a simulated panel (helpstats tests/models/test_mixed_api.py,
# panel(n=30, seed=0) with the wave also as a factor `w`), written once by Python as data.csv.
# Run: Rscript make.R   (re-reads data.csv and writes expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

levels <- list(arm = c("peer", "usual"), w = c("0", "1", "2", "3"))
d <- read_case_data("data.csv", levels = levels, groups = "pid")
fit <- fit_case("y ~ arm * w + (1 | pid)", d, reml = TRUE)
write_reference(
  fit, dataset = "panel_factor_wave",
  source = "simulated panel (helpstats tests: panel(n=30, seed=0)), 30 participants x 4 waves",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ arm | w"), emmeans_entry(fit, "~ w")),
  contrasts = list(contrast_entry(fit, "~ w | arm", method = "pairwise", adjust = "tukey"),
                   contrast_entry(fit, "~ w", method = "trt.vs.ctrl", adjust = "sidak"),
                   contrast_entry(fit, "~ arm | w", method = "revpairwise", adjust = "holm"),
                   contrast_entry(fit, "~ w", method = "revpairwise", adjust = "bonferroni"))
)
