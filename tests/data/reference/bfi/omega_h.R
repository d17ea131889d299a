# psych::omega (Schmid-Leiman omega hierarchical) references for helpstats.omega_hierarchical.
# Data: psych's bfi (tests/data/reference/bfi/data.csv, see SOURCE.md) and psych's Thurstone
# correlation matrix (Bechtoldt 1961 / Thurstone & Thurstone 1941, 9 ability tests, n = 213,
# shipped with psych; printed below so the test needs no R).
# Run from the repository root:  Rscript tests/data/reference/bfi/omega_h.R
# (psych 2.2.9 and GPArotation 2022.10-2 from Debian's r-cran-psych / r-cran-gparotation.)
suppressMessages(library(psych))
suppressMessages(library(GPArotation))
library(jsonlite)
data <- read.csv("tests/data/reference/bfi/data.csv")
items <- data[, 1:25]
# keyed as psych's bfi.keys (7 - x), as helpstats' test definition tests/data/bfi.toml
rev <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
for (v in rev) items[[v]] <- 7 - items[[v]]
complete <- items[complete.cases(items), ]
one <- function(m, nf, ...) {
  om <- suppressWarnings(suppressMessages(omega(m, nfactors = nf, plot = FALSE, ...)))
  list(nfactors = nf,
       omega_h = om$omega_h, omega_total = om$omega.tot, omega_limit = om$omega.lim,
       alpha = om$alpha, ecv = unname(om$ECV),
       g_loadings = unname(as.numeric(om$schmid$sl[, 1])),
       h2 = unname(as.numeric(om$schmid$sl[, "h2"])),
       gloading = unname(as.numeric(om$schmid$gloading)),
       phi = unname(om$schmid$phi),
       key = unname(as.numeric(om$key)))
}
out <- list(
  bfi = list(n_complete = nrow(complete), items = names(complete),
             fits = list(one(complete, 3), one(complete, 5))),
  bfi_pairwise = list(note = "all 2800 rows; psych correlates raw data with use = 'pairwise'",
                      fits = list(one(items, 5))),
  bfi_conscientious_raw = list(
    note = "C1-C5 unkeyed (as exported): psych's flip reverses C4 and C5 from the g loadings",
    fits = list(one(data[complete.cases(data[, 6:10]), 6:10], 3))),
  thurstone = list(r = unname(Thurstone), n_obs = 213,
                   fits = list(one(Thurstone, 3, n.obs = 213), one(Thurstone, 4, n.obs = 213))))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/data/reference/bfi/omega_h.json")
