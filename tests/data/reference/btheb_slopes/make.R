# Reference: a trial-like design -- arm x time with random slopes, missed waves kept as NA:
# bdi ~ bdi_pre + treatment * time + (time | subject), REML.
# data.csv keeps all 100 x 4 = 400 rows, 120 of them with bdi missing (NA), so the engine's
# row dropping (n_rows_in_data 400 vs n_obs) is tested too; lme4 drops them (na.omit).
# Data: HSAUR3::BtheB (Proudfoot et al. 2003, Beat the Blues RCT): BDI at 2, 3, 5, 8 months.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

b <- HSAUR3::BtheB
b$subject <- seq_len(nrow(b))
months <- c(2, 3, 5, 8)
raw <- do.call(rbind, lapply(seq_len(nrow(b)), function(i) data.frame(
  subject = as.character(b$subject[i]), drug = as.character(b$drug[i]),
  length = as.character(b$length[i]), treatment = as.character(b$treatment[i]),
  bdi_pre = b$bdi.pre[i], time = months,
  bdi = unlist(b[i, c("bdi.2m", "bdi.3m", "bdi.5m", "bdi.8m")]), stringsAsFactors = FALSE)))
write_case_data(raw)

levels <- list(drug = c("No", "Yes"), length = c("<6m", ">6m"), treatment = c("TAU", "BtheB"))
d <- read_case_data("data.csv", levels = levels, groups = "subject")
fit <- fit_case("bdi ~ bdi_pre + treatment * time + (time | subject)", d, reml = TRUE)
times <- list(time = c(2, 3, 5, 8))
write_reference(
  fit, dataset = "btheb_slopes",
  source = "R package HSAUR3 1.0-13, dataset BtheB (Proudfoot et al. 2003), long format with missing waves as NA",
  factor_levels = levels, n_rows_in_data = nrow(d),
  emmeans = list(emmeans_entry(fit, "~ treatment | time", at = times)),
  contrasts = list(contrast_entry(fit, "~ treatment | time", method = "revpairwise", at = times),
                   contrast_entry(fit, "~ time | treatment", method = "trt.vs.ctrl", adjust = "holm", at = times))
)
