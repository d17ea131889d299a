# Reference: back-quoted column names with spaces, '-' and '+' (R keeps the back quotes in names).
# Data: nlme::Orthodont (Potthoff & Roy 1964), columns renamed.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

o <- as.data.frame(nlme::Orthodont)
raw <- data.frame(`distance mm` = o$distance, `age-years` = o$age, `subject id` = as.character(o$Subject),
                  `sex+` = as.character(o$Sex), stringsAsFactors = FALSE, check.names = FALSE)
write_case_data(raw)
levels <- list(`sex+` = c("Male", "Female"))
d <- read_case_data("data.csv", levels = levels, groups = "subject id")
fit <- fit_case("`distance mm` ~ `age-years` * `sex+` + (1 | `subject id`)", d, reml = TRUE)
write_reference(
  fit, dataset = "orthodont_backquoted",
  source = "R package nlme 3.1-162, dataset Orthodont (Potthoff & Roy 1964); 27 children x 4 ages",
  factor_levels = levels,
  emmeans = list(emmeans_entry(fit, "~ `sex+`"))
)
