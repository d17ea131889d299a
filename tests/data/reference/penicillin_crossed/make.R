# Reference: fully crossed random effects, diameter ~ 1 + (1 | plate) + (1 | sample), REML.
# Data: lme4::Penicillin (Davies & Goldsmith 1972): inhibition-zone diameter, 24 plates x
# 6 penicillin samples, every sample on every plate (144 rows).
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

p <- lme4::Penicillin
raw <- data.frame(diameter = p$diameter, plate = as.character(p$plate),
                  sample = as.character(p$sample), stringsAsFactors = FALSE)
write_case_data(raw)

d <- read_case_data("data.csv", groups = c("plate", "sample"))
fit <- fit_case("diameter ~ 1 + (1 | plate) + (1 | sample)", d, reml = TRUE)
write_reference(
  fit, dataset = "penicillin_crossed",
  source = "R package lme4 1.1-31, dataset Penicillin (Davies & Goldsmith 1972); 24 plates x 6 samples, crossed",
  emmeans = list(emmeans_entry(fit, "~ 1"))
)
