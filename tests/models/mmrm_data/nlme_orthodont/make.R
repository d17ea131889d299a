# Reference fits of nlme::gls for helpstats' fit_mmrm on nlme's Orthodont data
# (27 children, distance at ages 8, 10, 12, 14). Run from this folder:
#   Rscript make.R
library(nlme)
library(jsonlite)
d <- as.data.frame(Orthodont)
d$Subject <- as.character(d$Subject)
d$Sex <- factor(as.character(d$Sex), levels = c("Male", "Female"))
d$visit <- factor(paste0("age", d$age), levels = paste0("age", c(8, 10, 12, 14)))
d$visitn <- match(d$visit, levels(d$visit))
write.csv(d[, c("Subject", "Sex", "age", "visit", "visitn", "distance")], "data.csv",
          row.names = FALSE)
ctl <- glsControl(tolerance = 1e-12, msTol = 1e-12, maxIter = 1000, msMaxIter = 1000,
                  returnObject = FALSE)
f <- distance ~ Sex * visit
specs <- list(
  us = list(cor = corSymm(form = ~ visitn | Subject), w = varIdent(form = ~ 1 | visit)),
  cs = list(cor = corCompSymm(form = ~ 1 | Subject), w = NULL),
  csh = list(cor = corCompSymm(form = ~ 1 | Subject), w = varIdent(form = ~ 1 | visit)),
  ar1 = list(cor = corAR1(form = ~ visitn | Subject), w = NULL),
  ar1h = list(cor = corAR1(form = ~ visitn | Subject), w = varIdent(form = ~ 1 | visit))
)
out <- list()
for (cov in names(specs)) {
  for (method in c("REML", "ML")) {
    s <- specs[[cov]]
    fit <- if (is.null(s$w)) {
      gls(f, data = d, correlation = s$cor, method = method, control = ctl)
    } else {
      gls(f, data = d, correlation = s$cor, weights = s$w, method = method, control = ctl)
    }
    V <- getVarCov(fit, individual = d$Subject[1])
    out[[length(out) + 1]] <- list(
      covariance = cov, reml = method == "REML", formula = "distance ~ Sex * visit",
      loglik = as.numeric(logLik(fit)), terms = names(coef(fit)),
      estimate = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
      vcov_visits = unname(matrix(as.numeric(V), nrow(V)))
    )
  }
}
write_json(list(source = "nlme::Orthodont via nlme::gls", nlme = as.character(packageVersion("nlme")),
                fits = out), "expected.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
