# Reference numbers for the outcome table's Holm family and Type III rows.
# Run from this folder: Rscript make.R  (lme4, lmerTest, emmeans, jsonlite from Debian)
suppressPackageStartupMessages({library(lmerTest); library(emmeans); library(jsonlite)})
d <- read.csv("data.csv", stringsAsFactors = FALSE)
d$role <- factor(d$role, levels = c("neither", "helpee", "helper", "dual"))
d$visit <- factor(d$wave, levels = c(0, 1, 3, 8))
fit <- lmer(phq9_total ~ role * visit + (1 | participant), data = d, REML = TRUE)
emm <- emmeans(fit, ~ role | visit, lmer.df = "satterthwaite")
# the family: the three comparisons with "neither" at each visit
holm <- as.data.frame(contrast(emm, method = "trt.vs.ctrl", ref = 1, adjust = "holm"))
none <- as.data.frame(contrast(emm, method = "trt.vs.ctrl", ref = 1, adjust = "none"))
a <- anova(fit, type = 3, ddf = "Satterthwaite")
out <- list(
  formula = "phq9_total ~ role * visit + (1 | participant)",
  r_versions = list(lme4 = as.character(packageVersion("lme4")),
                    lmerTest = as.character(packageVersion("lmerTest")),
                    emmeans = as.character(packageVersion("emmeans"))),
  holm = data.frame(contrast = as.character(holm$contrast), visit = as.character(holm$visit),
                    estimate = holm$estimate, df = holm$df, p_holm = holm$p.value,
                    p_none = none$p.value),
  anova = data.frame(term = rownames(a), num_df = a$NumDF, den_df = a$DenDF, F = a$`F value`,
                     p = a$`Pr(>F)`))
writeLines(toJSON(out, digits = NA, pretty = TRUE), "expected.json")
