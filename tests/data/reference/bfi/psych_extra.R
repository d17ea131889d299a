# Extra psych results for the bfi data: alpha (pairwise and complete cases), Feldt interval,
# ML one-factor loadings (fa, fm = "ml") and omega total (omega, nfactors = 1: minres,
# correlations, observed total variance), all on the keyed items.
# Run from the repository root:  Rscript tests/data/reference/bfi/psych_extra.R
# (psych 2.2.9 from Debian's r-cran-psych; GPArotation 2022.10-2; R as installed.)
suppressMessages(library(psych))
data <- read.csv("tests/data/reference/bfi/data.csv")
keys <- list(agree = c("-A1", "A2", "A3", "A4", "A5"),
             conscientious = c("C1", "C2", "C3", "-C4", "-C5"),
             extraversion = c("-E1", "-E2", "E3", "E4", "E5"),
             neuroticism = c("N1", "N2", "N3", "N4", "N5"),
             openness = c("O1", "-O2", "O3", "O4", "-O5"))
out <- list()
for (scale in names(keys)) {
  k <- keys[[scale]]
  items <- data[, sub("-", "", k)]
  for (j in seq_along(k)) if (startsWith(k[j], "-")) items[, j] <- 7 - items[, j]
  complete <- items[complete.cases(items), ]
  a_pair <- alpha(items, warnings = FALSE)
  a_comp <- alpha(complete, warnings = FALSE)
  ml <- fa(complete, nfactors = 1, fm = "ml")
  om <- suppressWarnings(omega(complete, nfactors = 1, plot = FALSE))
  out[[scale]] <- list(
    n_complete = nrow(complete),
    raw_alpha_pairwise = a_pair$total$raw_alpha,
    raw_alpha_complete = a_comp$total$raw_alpha,
    feldt_lower_complete = unname(as.numeric(a_comp$feldt$lower.ci)),
    feldt_upper_complete = unname(as.numeric(a_comp$feldt$upper.ci)),
    ml_loadings = unname(as.numeric(ml$loadings[, 1])),
    ml_uniquenesses = unname(as.numeric(ml$uniquenesses)),
    omega_tot_psych = unname(om$omega.tot)
  )
}
cat(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE))
