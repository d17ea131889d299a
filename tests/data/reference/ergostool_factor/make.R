# Reference: a 4-level within-subject factor, effort ~ Type + (1 | Subject), REML
# (Kenward-Roger and Satterthwaite F tests on 3 df, Tukey contrasts).
# Data: nlme::ergoStool (Pinheiro & Bates 2000): Borg effort of 9 subjects rising from 4 stools.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

e <- as.data.frame(nlme::ergoStool)
raw <- data.frame(effort = e$effort, Type = as.character(e$Type),
                  Subject = as.character(e$Subject), stringsAsFactors = FALSE)
write_case_data(raw)

levels <- list(Type = c("T1", "T2", "T3", "T4"))
d <- read_case_data("data.csv", levels = levels, groups = "Subject")
fit <- fit_case("effort ~ Type + (1 | Subject)", d, reml = TRUE)
write_reference(
  fit, dataset = "ergostool_factor",
  source = "R package nlme 3.1-162, dataset ergoStool (Pinheiro & Bates 2000); 9 subjects x 4 stools; REML",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ Type")),
  contrasts = list(contrast_entry(fit, "~ Type", method = "pairwise", adjust = "tukey"))
)
