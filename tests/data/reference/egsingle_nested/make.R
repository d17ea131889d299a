# Reference: repeated measures of children nested in schools, random slopes for children:
# math ~ year + (year | childid) + (1 | schoolid), REML.
# Data: mlmRev::egsingle (Bryk & Raudenbush 2002; US Sustaining Effects Study): math IRT
# score of 1,721 children in 60 schools, grades 1-6 (7,230 rows). year is centred (-2.5..2.5).
# Only the columns the model uses are kept.  To keep data.csv under 200 KB the 9-digit child
# id is replaced by its level number in mlmRev's factor (1..1721; each child is in one
# school, so the grouping is unchanged); school ids are the original ones.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

e <- mlmRev::egsingle
raw <- data.frame(math = e$math, year = e$year, childid = as.character(as.integer(e$childid)),
                  schoolid = as.character(e$schoolid), stringsAsFactors = FALSE)
write_case_data(raw)

d <- read_case_data("data.csv", groups = c("childid", "schoolid"))
fit <- fit_case("math ~ year + (year | childid) + (1 | schoolid)", d, reml = TRUE)
write_reference(
  fit, dataset = "egsingle_nested",
  source = "R package mlmRev 1.0-8, dataset egsingle (Bryk & Raudenbush 2002); 1,721 children in 60 schools",
  emmeans = list(emmeans_entry(fit, "~ year", at = list(year = c(-1.5, 0, 1.5))))
)
