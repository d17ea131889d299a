# Reference: lme4 precision weights (weights = w), REML, random slopes.
# Data: lme4::sleepstudy (Belenky et al. 2003); w is a made-up weight, 1, 2 or 0.5 by day.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

s <- as.data.frame(lme4::sleepstudy)
raw <- data.frame(Reaction = s$Reaction, Days = s$Days, Subject = as.character(s$Subject),
                  w = c(1, 2, 0.5)[s$Days %% 3 + 1], stringsAsFactors = FALSE)
write_case_data(raw)
d <- read_case_data("data.csv", groups = "Subject")
fit <- fit_case("Reaction ~ Days + (Days | Subject)", d, reml = TRUE, weights = "w")
write_reference(
  fit, dataset = "sleepstudy_weights",
  source = "R package lme4 1.1-31, dataset sleepstudy (Belenky et al. 2003); 18 subjects x 10 days",
  emmeans = list(emmeans_entry(fit, "~ Days", at = list(Days = c(0, 9))))
)
