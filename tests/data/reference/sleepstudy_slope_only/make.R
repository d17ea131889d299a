# Reference: a random slope without a random intercept, Reaction ~ Days + (0 + Days | Subject), REML.
# Data: lme4::sleepstudy (Belenky et al. 2003): 18 subjects x 10 days.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

s <- lme4::sleepstudy
raw <- data.frame(Reaction = s$Reaction, Days = s$Days, Subject = as.character(s$Subject),
                  stringsAsFactors = FALSE)
write_case_data(raw)

d <- read_case_data("data.csv", groups = "Subject")
fit <- fit_case("Reaction ~ Days + (0 + Days | Subject)", d, reml = TRUE)
write_reference(
  fit, dataset = "sleepstudy_slope_only",
  source = "R package lme4 1.1-31, dataset sleepstudy (Belenky et al. 2003)",
  emmeans = list(emmeans_entry(fit, "~ Days", at = list(Days = c(0, 4, 9))))
)
