# Reference: natural spline ns(age, df = 3), large-mean outcome (height ~ 150 cm), random slopes.
# Data: nlme::Oxboys (Goldstein 1987): height of 26 boys at 9 occasions, age centred.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")
library(splines)

o <- as.data.frame(nlme::Oxboys)
raw <- data.frame(height = o$height, age = o$age, Subject = as.character(o$Subject),
                  stringsAsFactors = FALSE)
write_case_data(raw)
d <- read_case_data("data.csv", groups = "Subject")
fit <- fit_case("height ~ ns(age, df = 3) + (age | Subject)", d, reml = TRUE)
write_reference(
  fit, dataset = "oxboys_ns",
  source = "R package nlme 3.1-162, dataset Oxboys (Goldstein 1987); 26 boys x 9 occasions",
  emmeans = list(emmeans_entry(fit, "~ age", at = list(age = c(-0.5, 0.25, 0.75))))
)
