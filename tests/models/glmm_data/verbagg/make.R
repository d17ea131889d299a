# lme4::VerbAgg (verbal aggression item responses, De Boeck & Wilson 2004; lme4, GPL >= 2): crossed subjects x items.
source("../_common.R")
d <- VerbAgg[, c("r2", "Anger", "Gender", "btype", "situ", "mode", "id", "item")]
f <- r2 ~ Anger + Gender + btype + situ + mode + (1 | id) + (1 | item)
m <- glmer(f, d, binomial, control = tight)
cases <- list(logit = fit_record(m, list(formula = deparse(f, width.cutoff = 500), family = "binomial",
                                         link = "logit", nagq = 1),
                                 list(emmeans = emm_record(m, "btype"))))
write_ref(d, list(r2 = levels(d$r2), Gender = levels(d$Gender), btype = levels(d$btype),
                  situ = levels(d$situ), mode = levels(d$mode)), cases)
