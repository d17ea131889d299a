# Reference: B-spline bs(age, df = 4) (one interior knot at the median), ML, prediction beyond
# the boundary knots. Data: datasets::Loblolly: height (ft) of 14 seed sources of loblolly pine at 6 ages.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")
library(splines)

l <- as.data.frame(datasets::Loblolly)
raw <- data.frame(height = l$height, age = l$age, Seed = as.character(l$Seed),
                  stringsAsFactors = FALSE)
write_case_data(raw)
d <- read_case_data("data.csv", groups = "Seed")
fit <- fit_case("height ~ bs(age, df = 4) + (1 | Seed)", d, reml = FALSE)
write_reference(
  fit, dataset = "loblolly_bs",
  source = "R package datasets (R 4.2.2), Loblolly; 14 seed sources x 6 ages",
  emmeans = list(emmeans_entry(fit, "~ age", at = list(age = c(4, 12, 22, 26))))
)
