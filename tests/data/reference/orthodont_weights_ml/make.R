# Reference: lme4 precision weights from a column, maximum likelihood, a factor interaction.
# Data: nlme::Orthodont (Potthoff & Roy 1964); w = 1 / (1 + (age - 8) / 6), made up.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

o <- as.data.frame(nlme::Orthodont)
raw <- data.frame(distance = o$distance, age = o$age, Subject = as.character(o$Subject),
                  Sex = as.character(o$Sex), w = 1 / (1 + (o$age - 8) / 6), stringsAsFactors = FALSE)
write_case_data(raw)
levels <- list(Sex = c("Male", "Female"))
d <- read_case_data("data.csv", levels = levels, groups = "Subject")
fit <- fit_case("distance ~ age * Sex + (1 | Subject)", d, reml = FALSE, weights = "w")
write_reference(
  fit, dataset = "orthodont_weights_ml",
  source = "R package nlme 3.1-162, dataset Orthodont (Potthoff & Roy 1964); 27 children x 4 ages",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ Sex"))
)
