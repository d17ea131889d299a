# Reference fits of nlme::gls for helpstats' fit_mmrm on R's datasets::ChickWeight
# (50 chicks on 4 diets, weight at days 0, 4, 8, 12, 16, 20; chicks that died are
# missing from their death on: monotone dropout). Run from this folder: Rscript make.R
library(nlme)
library(jsonlite)
d <- as.data.frame(ChickWeight)
d <- d[d$Time %in% c(0, 4, 8, 12, 16, 20), ]
d$Chick <- as.character(d$Chick)
d$Diet <- factor(paste0("diet", d$Diet))
d$visit <- factor(paste0("day", d$Time), levels = paste0("day", c(0, 4, 8, 12, 16, 20)))
d$visitn <- match(d$visit, levels(d$visit))
d <- d[order(as.integer(d$Chick), d$Time), ]
write.csv(d[, c("Chick", "Diet", "Time", "visit", "visitn", "weight")], "data.csv",
          row.names = FALSE)
ctl <- glsControl(tolerance = 1e-12, msTol = 1e-12, maxIter = 1000, msMaxIter = 1000,
                  returnObject = FALSE)
f <- weight ~ Diet * visit
specs <- list(
  us = list(cor = corSymm(form = ~ visitn | Chick), w = varIdent(form = ~ 1 | visit)),
  csh = list(cor = corCompSymm(form = ~ 1 | Chick), w = varIdent(form = ~ 1 | visit)),
  ar1h = list(cor = corAR1(form = ~ visitn | Chick), w = varIdent(form = ~ 1 | visit))
)
out <- list()
for (cov in names(specs)) {
  s <- specs[[cov]]
  fit <- gls(f, data = d, correlation = s$cor, weights = s$w, method = "REML", control = ctl)
  V <- getVarCov(fit, individual = "1")
  out[[length(out) + 1]] <- list(
    covariance = cov, reml = TRUE, formula = "weight ~ Diet * visit",
    loglik = as.numeric(logLik(fit)), terms = names(coef(fit)),
    estimate = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
    vcov_visits = unname(matrix(as.numeric(V), nrow(V)))
  )
}
write_json(list(source = "datasets::ChickWeight via nlme::gls",
                nlme = as.character(packageVersion("nlme")), fits = out),
           "expected.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
