# lme4::grouseticks (Elston et al. 2001 red grouse ticks; lme4, GPL >= 2): Poisson, nested + observation-level.
source("../_common.R")
d <- grouseticks
d$cHEIGHT <- as.numeric(scale(d$HEIGHT))
d$INDEX <- as.character(d$INDEX); d$BROOD <- as.character(d$BROOD); d$LOCATION <- as.character(d$LOCATION)
f <- TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)
m <- glmer(f, d, poisson, control = tight)
cases <- list(poisson = fit_record(m, list(formula = "TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)",
                                           family = "poisson", link = "log", nagq = 1)))
write_ref(d[, c("TICKS", "YEAR", "cHEIGHT", "BROOD", "INDEX", "LOCATION")], list(YEAR = levels(d$YEAR)), cases)
