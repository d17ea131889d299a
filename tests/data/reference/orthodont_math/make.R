# Reference: functions of the response and covariates: log1p(), sqrt(), abs(), exp().
# Data: nlme::Orthodont (Potthoff & Roy 1964): distance (mm) in 27 children at ages 8-14.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

o <- as.data.frame(nlme::Orthodont)
raw <- data.frame(distance = o$distance, age = o$age, Subject = as.character(o$Subject),
                  Sex = as.character(o$Sex), stringsAsFactors = FALSE)
write_case_data(raw)
levels <- list(Sex = c("Male", "Female"))
d <- read_case_data("data.csv", levels = levels, groups = "Subject")
fit <- fit_case("log1p(distance) ~ Sex + sqrt(age) + abs(age - 11) + exp(age/10) + (1 | Subject)", d, reml = TRUE)
write_reference(
  fit, dataset = "orthodont_math",
  source = "R package nlme 3.1-162, dataset Orthodont (Potthoff & Roy 1964); 27 children x 4 ages",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ Sex"))
)
