# Reference: nesting a/b and x %in% a without an intercept (0 + ...).
# Data: datasets::CO2 (Potvin, Lechowicz & Tardif 1990): CO2 uptake of 12 plants at 7 concentrations.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

c2 <- as.data.frame(datasets::CO2)
raw <- data.frame(uptake = c2$uptake, conc = c2$conc, Plant = as.character(c2$Plant),
                  Type = as.character(c2$Type), Treatment = as.character(c2$Treatment),
                  stringsAsFactors = FALSE)
write_case_data(raw)
levels <- list(Type = c("Quebec", "Mississippi"), Treatment = c("nonchilled", "chilled"))
d <- read_case_data("data.csv", levels = levels, groups = "Plant")
fit <- fit_case("uptake ~ 0 + Type/Treatment + log(conc) %in% Type + (1 | Plant)", d, reml = TRUE)
write_reference(
  fit, dataset = "co2_nesting",
  source = "R package datasets (R 4.2.2), CO2 (Potvin et al. 1990); 12 plants x 7 concentrations",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ Treatment | Type"))
)
