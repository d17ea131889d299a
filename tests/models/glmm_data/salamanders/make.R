# glmmTMB::Salamanders (Price et al. 2016 salamander counts below mountaintop mining; glmmTMB, AGPL-3).
source("../_common.R")
suppressPackageStartupMessages(library(glmmTMB))
d <- Salamanders
d$site <- as.character(d$site)
f <- count ~ spp + mined + (1 | site)
pyf <- "count ~ spp + mined + (1 | site)"
cases <- list()
m <- glmer(f, d, poisson, control = tight)
cases$poisson <- fit_record(m, list(formula = pyf, family = "poisson", link = "log", nagq = 1),
                            list(emmeans = emm_record(m, "mined")))
m25 <- glmer(f, d, poisson, nAGQ = 25, control = tight)
cases$agq25 <- fit_record(m25, list(formula = pyf, family = "poisson", link = "log", nagq = 25))
nbr <- nb_tight(f, d); nb <- nbr$fit
cases$nb2 <- fit_record(nb, list(formula = pyf, family = "negative_binomial", link = "log", nagq = 1),
  list(dispersion = nbr$dispersion, glmer_nb_loglik = nbr$glmer_nb_loglik,
       glmer_nb_dispersion = nbr$glmer_nb_dispersion,
       glmmTMB_loglik = as.numeric(logLik(glmmTMB(f, d, family = nbinom2)))))
write_ref(d[, c("count", "spp", "mined", "site")], list(spp = levels(d$spp), mined = levels(d$mined)), cases)
