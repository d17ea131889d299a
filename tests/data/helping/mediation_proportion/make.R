# Reference for the proportion mediated and its bootstrap intervals: lavaan on simulated data
# (data.csv: n = 300, arm -> mediator -> outcome with a direct path; simulated by helpstats'
# session 2026-12-02, seed 20261202, so the total effect is far from 0 and the proportion's
# bootstrap distribution is well behaved). Run: Rscript make.R   (lavaan, jsonlite from Debian)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
d <- read.csv("data.csv")
model <- "mediator ~ a * arm
outcome ~ b * mediator + cp * arm
indirect := a * b
total := cp + a * b
proportion := a * b / (cp + a * b)"
fit <- sem(model, data = d)
est <- parameterEstimates(fit)
prop <- est[est$label == "proportion", ]
set.seed(7)
boot <- sem(model, data = d, se = "bootstrap", bootstrap = 5000)
perc <- parameterEstimates(boot, boot.ci.type = "perc")
bca <- parameterEstimates(boot, boot.ci.type = "bca.simple")
reps <- lavInspect(boot, "coef.boot")
prop_reps <- reps[, "a"] * reps[, "b"] / (reps[, "cp"] + reps[, "a"] * reps[, "b"])
out <- list(estimate = prop$est, se = prop$se,
            perc_lower = perc[perc$label == "proportion", "ci.lower"],
            perc_upper = perc[perc$label == "proportion", "ci.upper"],
            bca_lower = bca[bca$label == "proportion", "ci.lower"],
            bca_upper = bca[bca$label == "proportion", "ci.upper"],
            boot_sd = sd(prop_reps, na.rm = TRUE), lavaan = as.character(packageVersion("lavaan")))
write_json(out, "expected.json", digits = 12, auto_unbox = TRUE, pretty = TRUE)
