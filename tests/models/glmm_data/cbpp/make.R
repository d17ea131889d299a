# lme4::cbpp (contagious bovine pleuropneumonia; lme4, GPL >= 2): binomial with trials.
source("../_common.R")
d <- cbpp
d$noninc <- d$size - d$incidence
d$obs <- factor(seq_len(nrow(d)))
f <- cbind(incidence, noninc) ~ period + (1 | herd)
py <- function(form, link, nagq = 1) list(formula = form, family = "binomial", link = link, nagq = nagq)
cases <- list()
m <- glmer(f, d, binomial, control = tight)
cases$logit <- fit_record(m, py("cbind(incidence, noninc) ~ period + (1 | herd)", "logit"),
  list(emmeans = emm_record(m, "period"), contrasts = contrast_record(m, "period"),
       anova = { a <- car::Anova(m, type = 3); list(term = rownames(a), chisq = a$Chisq, df = a$Df) },
       lrt = { m0 <- glmer(cbind(incidence, noninc) ~ 1 + (1 | herd), d, binomial, control = tight)
               a <- anova(m0, m); list(loglik = a$logLik, chisq = a$Chisq[2], df = a$Df[2],
                                       p = a[["Pr(>Chisq)"]][2]) }))
m2 <- glmer(incidence / size ~ period + (1 | herd), d, binomial, weights = size, control = tight)
cases$proportion <- fit_record(m2, c(py("incidence_prop ~ period + (1 | herd)", "logit"), list(weights = "size")))
for (k in c(5, 25)) {
  mk <- glmer(f, d, binomial, nAGQ = k, control = tight)
  cases[[paste0("agq", k)]] <- fit_record(mk, py("cbind(incidence, noninc) ~ period + (1 | herd)", "logit", k))
}
for (lk in c("probit", "cloglog")) {
  mk <- glmer(f, d, binomial(link = lk), control = tight)
  cases[[lk]] <- fit_record(mk, py("cbind(incidence, noninc) ~ period + (1 | herd)", lk),
                            list(emmeans = emm_record(mk, "period")))
}
mo <- glmer(cbind(incidence, noninc) ~ period + (1 | herd) + (1 | obs), d, binomial, control = tight)
cases$olre <- fit_record(mo, py("cbind(incidence, noninc) ~ period + (1 | herd) + (1 | obs)", "logit"))
d$incidence_prop <- d$incidence / d$size
write_ref(d, list(period = levels(d$period)), cases)
