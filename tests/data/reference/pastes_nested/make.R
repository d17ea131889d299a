# Reference: two-level nesting, strength ~ 1 + (1 | batch/cask), REML.
# Data: lme4::Pastes (Davies & Goldsmith 1972): paste strength, 10 batches, 3 casks per
# batch, 2 assays per cask (60 rows).  Cask labels a/b/c repeat across batches, so only
# the nested form batch/cask (= batch + batch:cask) identifies the 30 casks.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

p <- lme4::Pastes
raw <- data.frame(strength = p$strength, batch = as.character(p$batch),
                  cask = as.character(p$cask), stringsAsFactors = FALSE)
write_case_data(raw)

d <- read_case_data("data.csv", groups = c("batch", "cask"))
fit <- fit_case("strength ~ 1 + (1 | batch/cask)", d, reml = TRUE)
write_reference(
  fit, dataset = "pastes_nested",
  source = "R package lme4 1.1-31, dataset Pastes (Davies & Goldsmith 1972); 10 batches x 3 casks x 2 assays",
  emmeans = list(emmeans_entry(fit, "~ 1"))
)
