# Reference: sum contrasts C(Sex, sum) crossed with factor(age) (a numeric column as a factor).
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
fit <- fit_case("distance ~ C(Sex, sum) * factor(age) + (1 | Subject)", d, reml = TRUE)
# emmeans cannot rebuild its grid from C(Sex, sum) (it takes `sum` for a variable). Marginal
# means do not depend on the coding, so they come from the same model with Sex's contrasts
# set to contr.sum on the column (same fitted values, same likelihood).
d2 <- d
contrasts(d2$Sex) <- contr.sum(2)
same <- fit_case("distance ~ Sex * factor(age) + (1 | Subject)", d2, reml = TRUE)
stopifnot(abs(logLik(same) - logLik(fit)) < 1e-8)
write_reference(
  fit, dataset = "orthodont_sum_factor",
  source = "R package nlme 3.1-162, dataset Orthodont (Potthoff & Roy 1964); 27 children x 4 ages",
  factor_levels = levels,
  emmeans = list(emmeans_entry(same, "~ Sex"), emmeans_entry(same, "~ age | Sex")),
  contrasts = list(contrast_entry(same, "~ age | Sex", method = "trt.vs.ctrl", adjust = "none"))
)
