# Reference: an offset of a function of a covariate, offset(log(age)); emmeans includes it.
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
fit <- fit_case("distance ~ Sex + age + offset(2 * log(age)) + (1 | Subject)", d, reml = TRUE)
write_reference(
  fit, dataset = "orthodont_offset",
  source = "R package nlme 3.1-162, dataset Orthodont (Potthoff & Roy 1964); 27 children x 4 ages",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ Sex"), emmeans_entry(fit, "~ Sex | age", at = list(age = c(8, 14))))
)
