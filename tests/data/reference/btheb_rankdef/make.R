# Reference: rank-deficient fixed effects from an empty design cell, REML:
# bdi ~ bdi_pre + treatment * wave + (1 | subject) after removing every BtheB row at 8 months.
# lme4 says "fixed-effect model matrix is rank deficient so dropping 1 column / coefficient"
# and drops treatmentBtheB:wave8; emmeans marks the empty cell as not estimable (null values).
# Data: HSAUR3::BtheB (Proudfoot et al. 2003, Beat the Blues RCT), long format, observed
# waves only (as ../../../../shared/reference/btheb_wave), minus the BtheB 8-month rows.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

b <- HSAUR3::BtheB
b$subject <- seq_len(nrow(b))
months <- c(2, 3, 5, 8)
long <- do.call(rbind, lapply(seq_len(nrow(b)), function(i) data.frame(
  subject = as.character(b$subject[i]), treatment = as.character(b$treatment[i]),
  bdi_pre = b$bdi.pre[i], wave = as.character(months),
  bdi = unlist(b[i, c("bdi.2m", "bdi.3m", "bdi.5m", "bdi.8m")]), stringsAsFactors = FALSE)))
raw <- long[!is.na(long$bdi) & !(long$treatment == "BtheB" & long$wave == "8"), ]
write_case_data(raw)

levels <- list(treatment = c("TAU", "BtheB"), wave = c("2", "3", "5", "8"))
d <- read_case_data("data.csv", levels = levels, groups = "subject")
fit <- fit_case("bdi ~ bdi_pre + treatment * wave + (1 | subject)", d, reml = TRUE)
write_reference(
  fit, dataset = "btheb_rankdef",
  source = "R package HSAUR3 1.0-13, dataset BtheB (Proudfoot et al. 2003), observed waves, BtheB arm's 8-month rows removed",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ treatment | wave"))
)
