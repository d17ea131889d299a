# MASS::epil (Thall & Vail 1990 progabide epilepsy trial; MASS, GPL-2|3): Poisson, random slope, NB2.
source("../_common.R")
suppressPackageStartupMessages(library(glmmTMB))
d <- MASS::epil
d$subject <- as.character(d$subject)
d$visit <- (d$period - 2.5) / 2
cases <- list()
f <- y ~ lbase * trt + lage + V4 + (1 | subject)
pyf <- "y ~ lbase * trt + lage + V4 + (1 | subject)"
m <- glmer(f, d, poisson, control = tight)
cases$poisson <- fit_record(m, list(formula = pyf, family = "poisson", link = "log", nagq = 1),
                            list(emmeans = emm_record(m, "trt"), contrasts = contrast_record(m, "trt")))
m5 <- glmer(f, d, poisson, nAGQ = 5, control = tight)
cases$agq5 <- fit_record(m5, list(formula = pyf, family = "poisson", link = "log", nagq = 5))
fs <- y ~ lbase * trt + lage + visit + (visit | subject)
ms <- glmer(fs, d, poisson, control = tight)
cases$slopes <- fit_record(ms, list(formula = "y ~ lbase * trt + lage + visit + (visit | subject)",
                                    family = "poisson", link = "log", nagq = 1))
nbr <- nb_tight(f, d); nb <- nbr$fit
cases$nb2 <- fit_record(nb, list(formula = pyf, family = "negative_binomial", link = "log", nagq = 1),
  list(dispersion = nbr$dispersion, glmer_nb_loglik = nbr$glmer_nb_loglik,
       glmer_nb_dispersion = nbr$glmer_nb_dispersion,
       glmmTMB_loglik = as.numeric(logLik(glmmTMB(f, d, family = nbinom2)))))
write_ref(d[, c("y", "lbase", "trt", "lage", "V4", "visit", "subject")], list(trt = levels(d$trt)), cases)
