# Reference: a boundary optimum (correlation -1) under ML, height ~ age + (age | Seed).
# Data: datasets::Loblolly (Kung 1986): height (ft) of 14 loblolly pine seed sources at 6 ages.
# lme4's default optimizer (nloptwrap) stops at loglik -207.5477; its bobyqa reaches
# -207.4875 on the boundary. This reference is fitted with optimizer = "bobyqa" (the best of
# lme4's optimizers here); optimizer_check records the others.
# Run: Rscript make.R   (from any directory; writes data.csv and expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("../reference_lib.R")

l <- as.data.frame(datasets::Loblolly)
raw <- data.frame(height = l$height, age = l$age, Seed = as.character(l$Seed),
                  stringsAsFactors = FALSE)
write_case_data(raw)

d <- read_case_data("data.csv", groups = "Seed")
msgs <- character()
fit <- withCallingHandlers(
  lmerTest::lmer(height ~ age + (age | Seed), data = d, REML = FALSE,
                 control = lme4::lmerControl(optimizer = "bobyqa")),
  message = function(m) { msgs <<- c(msgs, trimws(conditionMessage(m))); invokeRestart("muffleMessage") },
  warning = function(w) { msgs <<- c(msgs, trimws(conditionMessage(w))); invokeRestart("muffleWarning") })
attr(fit, "fit_messages") <- msgs
attr(fit, "formula_as_written") <- "height ~ age + (age | Seed)"
default <- lme4::lmer(height ~ age + (age | Seed), data = d, REML = FALSE)
cat("default nloptwrap loglik:", format(as.numeric(logLik(default)), digits = 10), "\n")
write_reference(
  fit, dataset = "loblolly_ml",
  source = "R package datasets (R 4.2.2), dataset Loblolly (Kung 1986); 14 seeds x 6 ages; ML, optimizer bobyqa",
  emmeans = list(emmeans_entry(fit, "~ age", at = list(age = c(5, 15, 25))))
)
