# glmmTMB::Owls (Roulin & Bersier 2007 barn owl sibling negotiation; glmmTMB, AGPL-3): counts with offset.
source("../_common.R")
suppressPackageStartupMessages(library(glmmTMB))
d <- Owls
d$logBroodSize <- log(d$BroodSize)
d$Nest <- as.character(d$Nest)
f <- SiblingNegotiation ~ FoodTreatment * SexParent + offset(logBroodSize) + (1 | Nest)
pyf <- "SiblingNegotiation ~ FoodTreatment * SexParent + (1 | Nest)"
m <- glmer(f, d, poisson, control = tight)
a <- car::Anova(m, type = 3)
op <- options(contrasts = c("contr.sum", "contr.poly"))
ms <- glmer(f, d, poisson, control = tight); as <- car::Anova(ms, type = 3)
options(op)
cases <- list()
cases$poisson <- fit_record(m, list(formula = pyf, family = "poisson", link = "log", nagq = 1, offset = "logBroodSize"),
  list(emmeans = emm_record(m, "FoodTreatment", by = "SexParent"),
       contrasts = contrast_record(m, "FoodTreatment", by = "SexParent"),
       anova_sum = list(term = rownames(as), chisq = as$Chisq, df = as$Df),
       anova_treatment = list(term = rownames(a), chisq = a$Chisq, df = a$Df),
       pearson_chisq = sum(residuals(m, type = "pearson")^2)))
nbr <- nb_tight(f, d); nb <- nbr$fit
cases$nb2 <- fit_record(nb, list(formula = pyf, family = "negative_binomial", link = "log", nagq = 1,
                                 offset = "logBroodSize"),
  list(dispersion = nbr$dispersion, glmer_nb_loglik = nbr$glmer_nb_loglik,
       glmer_nb_dispersion = nbr$glmer_nb_dispersion,
       glmmTMB_loglik = as.numeric(logLik(glmmTMB(f, d, family = nbinom2)))))
write_ref(d[, c("SiblingNegotiation", "FoodTreatment", "SexParent", "logBroodSize", "Nest")],
          list(FoodTreatment = levels(d$FoodTreatment), SexParent = levels(d$SexParent)), cases)
