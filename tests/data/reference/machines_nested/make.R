# Reference: cells nested in groups, (1 | Worker/Machine) = (1 | Worker) + (1 | Worker:Machine),
# score ~ Machine + (1 | Worker/Machine), REML; a 3-level factor for adjusted contrasts.
# Data: nlme::Machines (Milliken & Johnson 1992): productivity score of 6 workers on 3
# machine brands, 3 replicates each (54 rows).
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

m <- as.data.frame(nlme::Machines)
raw <- data.frame(score = m$score, Machine = as.character(m$Machine),
                  Worker = as.character(m$Worker), stringsAsFactors = FALSE)
write_case_data(raw)

levels <- list(Machine = c("A", "B", "C"))
d <- read_case_data("data.csv", levels = levels, groups = "Worker")
fit <- fit_case("score ~ Machine + (1 | Worker/Machine)", d, reml = TRUE)
write_reference(
  fit, dataset = "machines_nested",
  source = "R package nlme 3.1-162, dataset Machines (Milliken & Johnson 1992); 6 workers x 3 machines x 3 replicates",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ Machine")),
  contrasts = list(contrast_entry(fit, "~ Machine", method = "pairwise", adjust = "tukey"),
                   contrast_entry(fit, "~ Machine", method = "pairwise", adjust = "holm"),
                   contrast_entry(fit, "~ Machine", method = "revpairwise", adjust = "bonferroni"),
                   contrast_entry(fit, "~ Machine", method = "trt.vs.ctrl", adjust = "none"))
)
