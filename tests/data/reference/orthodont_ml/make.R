# Reference: random slopes with a factor x time interaction, maximum likelihood (REML = FALSE).
# Data: nlme::Orthodont (Potthoff & Roy 1964): distance (mm) from the pituitary to the
# pterygomaxillary fissure in 27 children (16 boys, 11 girls) at ages 8, 10, 12, 14.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

o <- as.data.frame(nlme::Orthodont)
raw <- data.frame(distance = o$distance, age = o$age, Subject = as.character(o$Subject),
                  Sex = as.character(o$Sex), stringsAsFactors = FALSE)
write_case_data(raw)

levels <- list(Sex = c("Male", "Female"))   # nlme's level order: Male is the reference
d <- read_case_data("data.csv", levels = levels, groups = "Subject")
fit <- fit_case("distance ~ age * Sex + (age | Subject)", d, reml = FALSE)
ages <- list(age = c(8, 10, 12, 14))
write_reference(
  fit, dataset = "orthodont_ml",
  source = "R package nlme 3.1-162, dataset Orthodont (Potthoff & Roy 1964); 27 children x 4 ages; maximum likelihood",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ Sex"),
                 emmeans_entry(fit, "~ Sex | age", at = ages)),
  contrasts = list(contrast_entry(fit, "~ Sex | age", method = "revpairwise", at = ages),
                   contrast_entry(fit, "~ age | Sex", method = "pairwise", adjust = "holm", at = ages),
                   contrast_entry(fit, "~ age | Sex", method = "trt.vs.ctrl", adjust = "bonferroni", at = ages))
)
