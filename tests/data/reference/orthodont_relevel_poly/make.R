# Reference: relevel(Sex, ref = "Female") and polynomial contrasts C(factor(age), poly).
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
fit <- fit_case("distance ~ relevel(Sex, ref = \"Female\") + C(factor(age), poly) + (1 | Subject)", d, reml = TRUE)
# emmeans cannot rebuild its grid from relevel(Sex, ref = "Female") or C(factor(age), poly)
# (it takes "Female" and `poly` for variables). Marginal means do not depend on the coding,
# so they come from the same model with the columns recoded beforehand (same likelihood).
d2 <- d
d2$Sex <- relevel(d2$Sex, ref = "Female")
d2$age <- factor(d2$age)
contrasts(d2$age) <- contr.poly(4)
same <- fit_case("distance ~ Sex + age + (1 | Subject)", d2, reml = TRUE)
stopifnot(abs(logLik(same) - logLik(fit)) < 1e-8)
write_reference(
  fit, dataset = "orthodont_relevel_poly",
  source = "R package nlme 3.1-162, dataset Orthodont (Potthoff & Roy 1964); 27 children x 4 ages",
  factor_levels = levels,
  emmeans = list(emmeans_entry(same, "~ Sex"), emmeans_entry(same, "~ age"))
)
