# mlmRev::Contraception (1988 Bangladesh Fertility Survey; mlmRev, GPL >= 2): binary, random slope.
source("../_common.R")
data("Contraception", package = "mlmRev")
d <- Contraception
d$age2 <- d$age^2
d$district <- as.character(d$district)
f <- use ~ age + age2 + urban + livch + (urban | district)
m <- glmer(f, d, binomial, control = tight)
cases <- list(logit = fit_record(m, list(formula = "use ~ age + age2 + urban + livch + (urban | district)",
                                         family = "binomial", link = "logit", nagq = 1),
                                 list(emmeans = emm_record(m, "livch"))))
write_ref(d[, c("use", "age", "age2", "urban", "livch", "district")],
          list(use = levels(d$use), urban = levels(d$urban), livch = levels(d$livch)), cases)
