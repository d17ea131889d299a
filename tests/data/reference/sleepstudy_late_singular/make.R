# Reference: a singular random-slope fit, the intercept-slope correlation at +1:
# Reaction ~ Days + (Days | Subject) on days 5-8 of sleepstudy, REML.
# lme4 says "boundary (singular) fit" (theta on the boundary: the 2x2 covariance has rank 1).
# Data: lme4::sleepstudy (Belenky et al. 2003), rows with Days 5, 6, 7, 8 (18 subjects x 4).
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

s <- lme4::sleepstudy
s <- s[s$Days >= 5 & s$Days <= 8, ]
raw <- data.frame(Reaction = s$Reaction, Days = s$Days, Subject = as.character(s$Subject),
                  stringsAsFactors = FALSE)
write_case_data(raw)

d <- read_case_data("data.csv", groups = "Subject")
fit <- fit_case("Reaction ~ Days + (Days | Subject)", d, reml = TRUE)
write_reference(
  fit, dataset = "sleepstudy_late_singular",
  source = "R package lme4 1.1-31, dataset sleepstudy (Belenky et al. 2003), Days 5 to 8 only",
  emmeans = list(emmeans_entry(fit, "~ Days", at = list(Days = c(5, 8))))
)
