# Reference: a singular fit with a zero variance, Yield ~ 1 + (1 | Batch), REML.
# lme4 says "boundary (singular) fit": the batch variance is estimated as exactly 0.
# Data: lme4::Dyestuff2 (Box & Tiao 1973, simulated by them): 6 batches x 5 preparations.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

y <- lme4::Dyestuff2
raw <- data.frame(Yield = y$Yield, Batch = as.character(y$Batch), stringsAsFactors = FALSE)
write_case_data(raw)

d <- read_case_data("data.csv", groups = "Batch")
fit <- fit_case("Yield ~ 1 + (1 | Batch)", d, reml = TRUE)
write_reference(
  fit, dataset = "dyestuff2_singular",
  source = "R package lme4 1.1-31, dataset Dyestuff2 (Box & Tiao 1973); 6 batches x 5",
  emmeans = list(emmeans_entry(fit, "~ 1"))
)
