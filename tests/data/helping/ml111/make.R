# Reference for hs.mediate(..., id=): the multilevel 1-1-1 mediation model of Bauer,
# Preacher & Gil (2006), fitted as their stacked model with nlme::lme (ML, a residual
# variance per equation via varIdent), on data simulated here once and saved (CC0).
# Run: Rscript make.R   (nlme 3.1, Debian)
library(nlme)
set.seed(2006)
simulate <- function(J, T, sd_m, sd_y) {
  G <- matrix(c(0.30, 0.00, 0.05, 0.00,
                0.00, 0.09, 0.00, 0.04,
                0.05, 0.00, 0.40, 0.00,
                0.00, 0.04, 0.00, 0.09), 4, 4)   # dm, a, dy, b
  u <- MASS::mvrnorm(J, c(0, 0.4, 0, 0.5), G)
  id <- rep(seq_len(J), each = T)
  x <- rnorm(J * T)
  m <- u[id, 1] + u[id, 2] * x + rnorm(J * T, 0, sd_m)
  y <- u[id, 3] + u[id, 4] * m + 0.2 * x + rnorm(J * T, 0, sd_y)
  data.frame(id = sprintf("S%03d", id), wave = rep(seq_len(T) - 1, J), x = x, m = m, y = y)
}
stack <- function(d) {
  n <- nrow(d)
  s <- data.frame(id = rep(d$id, 2), eq = rep(c("m", "y"), each = n),
                  resp = c(d$m, d$y), x = rep(d$x, 2), m = rep(d$m, 2))
  s$dm <- as.numeric(s$eq == "m"); s$dy <- as.numeric(s$eq == "y")
  s$dm_x <- s$dm * s$x; s$dy_x <- s$dy * s$x; s$dy_m <- s$dy * s$m
  s
}
fit111 <- function(d, random_direct) {
  s <- stack(d)
  rnd <- if (random_direct) ~ 0 + dm + dm_x + dy + dy_m + dy_x | id else ~ 0 + dm + dm_x + dy + dy_m | id
  f <- lme(resp ~ 0 + dm + dm_x + dy + dy_m + dy_x, random = rnd,
           weights = varIdent(form = ~ 1 | eq), method = "ML", data = s,
           control = lmeControl(maxIter = 500, msMaxIter = 500, niterEM = 100,
                                msMaxEval = 5000, msTol = 1e-10))
  ratio <- coef(f$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
  vc <- getVarCov(f)
  G <- matrix(as.numeric(vc), nrow(vc))
  list(fixed = as.list(fixef(f)), se = as.list(sqrt(diag(vcov(f)))),
       G = G, G_names = colnames(vc),
       sigma2_m = (f$sigma * ratio[["m"]])^2, sigma2_y = (f$sigma * ratio[["y"]])^2,
       loglik = as.numeric(logLik(f)))
}
a <- simulate(100, 6, 0.6, 0.9)
b <- simulate(80, 5, 0.9, 0.5)
write.csv(a, "data_a.csv", row.names = FALSE)
write.csv(b, "data_b.csv", row.names = FALSE)
out <- list(a_fixed_direct = fit111(a, FALSE), a_random_direct = fit111(a, TRUE),
            b_fixed_direct = fit111(b, FALSE), nlme = as.character(packageVersion("nlme")))
writeLines(jsonlite::toJSON(out, digits = I(15), auto_unbox = TRUE, pretty = TRUE),
           "expected.json")
