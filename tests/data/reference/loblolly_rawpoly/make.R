# Reference: raw polynomial poly(age, 3, raw = TRUE), REML.
# Data: datasets::Loblolly: height (ft) of 14 seed sources of loblolly pine at 6 ages.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

l <- as.data.frame(datasets::Loblolly)
raw <- data.frame(height = l$height, age = l$age, Seed = as.character(l$Seed),
                  stringsAsFactors = FALSE)
write_case_data(raw)
d <- read_case_data("data.csv", groups = "Seed")
fit <- fit_case("height ~ poly(age, 3, raw = TRUE) + (1 | Seed)", d, reml = TRUE)
write_reference(
  fit, dataset = "loblolly_rawpoly",
  source = "R package datasets (R 4.2.2), Loblolly; 14 seed sources x 6 ages",
  emmeans = list(emmeans_entry(fit, "~ age", at = list(age = c(5, 15))))
)
