# Reference: a large-mean outcome with random slopes, height ~ age + (age | Subject), REML.
# Data: nlme::Oxboys (Goldstein 1987): standing height (cm, mean ~150) of 26 boys at 9
# occasions; age is centred and scaled by the data's authors. lmerTest gives 25.00 / 25.00 df.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

o <- as.data.frame(nlme::Oxboys)
raw <- data.frame(height = o$height, age = o$age, Subject = as.character(o$Subject),
                  stringsAsFactors = FALSE)
write_case_data(raw)

d <- read_case_data("data.csv", groups = "Subject")
fit <- fit_case("height ~ age + (age | Subject)", d, reml = TRUE)
write_reference(
  fit, dataset = "oxboys_slopes",
  source = "R package nlme 3.1-162, dataset Oxboys (Goldstein 1987); 26 boys x 9 occasions; REML",
  emmeans = list(emmeans_entry(fit, "~ age", at = list(age = c(-1, 0, 1))))
)
