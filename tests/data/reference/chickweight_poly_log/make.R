# Reference: log response, orthonormal poly() in an interaction with a factor, random slopes.
# Data: datasets::ChickWeight (Crowder & Hand 1990): weight (g) of 50 chicks on 4 diets, days 0-21.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

cw <- as.data.frame(datasets::ChickWeight)
raw <- data.frame(weight = cw$weight, Time = cw$Time, Chick = as.character(cw$Chick),
                  Diet = as.character(cw$Diet), stringsAsFactors = FALSE)
write_case_data(raw)
levels <- list(Diet = c("1", "2", "3", "4"))
d <- read_case_data("data.csv", levels = levels, groups = "Chick")
fit <- fit_case("log(weight) ~ Diet * poly(Time, 2) + (1 + Time | Chick)", d, reml = TRUE)
write_reference(
  fit, dataset = "chickweight_poly_log",
  source = "R package datasets (R 4.2.2), ChickWeight (Crowder & Hand 1990); 578 weighings of 50 chicks",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ Diet"),
                 emmeans_entry(fit, "~ Diet | Time", at = list(Time = c(0, 10, 21)))),
  contrasts = list(contrast_entry(fit, "~ Diet", method = "trt.vs.ctrl", adjust = "none"))
)
