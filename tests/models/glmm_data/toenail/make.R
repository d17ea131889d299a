# HSAUR3::toenail (De Backer et al. 1998 onychomycosis trial; HSAUR3, GPL-2): binary, two-level factor outcome.
source("../_common.R")
data("toenail", package = "HSAUR3")
d <- toenail
d$patientID <- as.character(d$patientID)
py <- function(nagq) list(formula = "outcome ~ treatment * time + (1 | patientID)", family = "binomial",
                          link = "logit", nagq = nagq)
cases <- list()
for (k in c(1, 5, 25)) {
  m <- glmer(outcome ~ treatment * time + (1 | patientID), d, binomial, nAGQ = k, control = tight)
  cases[[paste0("agq", k)]] <- fit_record(m, py(k))
}
write_ref(d, list(outcome = levels(d$outcome), treatment = levels(d$treatment)), cases)
