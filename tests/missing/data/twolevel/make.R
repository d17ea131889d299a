# Reference for helpstats' method="2l.pan": mice's 2l.pan (random cluster intercept;
# every predictor with its cluster mean, predictorMatrix type 3, as helpstats does)
# on the same wide data, m = 200. Compared in tests/missing/test_two_level.py by
# Monte Carlo summaries: mean imputed value per wave and the between-cluster variance
# of each completed wave (one-way ANOVA estimator), averaged over the imputations.
# Run: Rscript make.R   (needs mice, pan, jsonlite from Debian)
suppressMessages({library(mice); library(jsonlite)})
d <- read.csv("twolevel_wide.csv")
d$gid <- as.integer(factor(d$group))
x <- d[, c("gid", "arm", "y0", "y1", "y2")]
pred <- make.predictorMatrix(x)
pred[pred == 1] <- 3
pred[, "gid"] <- -2
pred["gid", ] <- 0
meth <- c(gid = "", arm = "", y0 = "2l.pan", y1 = "2l.pan", y2 = "2l.pan")
imp <- mice(x, m = 200, maxit = 20, method = meth, predictorMatrix = pred,
            printFlag = FALSE, seed = 11)
between <- function(v, g) {  # one-way ANOVA estimate of the between-cluster variance
  k <- tapply(v, g, length); n0 <- (length(v) - sum(k^2) / length(v)) / (length(k) - 1)
  fit <- anova(lm(v ~ factor(g)))
  max((fit$`Mean Sq`[1] - fit$`Mean Sq`[2]) / n0, 0)
}
summ <- sapply(1:200, function(i) {
  c <- complete(imp, i)
  sapply(c("y0", "y1", "y2"), function(v) c(mean = mean(c[[v]][is.na(x[[v]])]),
                                            between = between(c[[v]], c$gid)))
})
# rows: y0.mean, y0.between, y1.mean, ...; columns: imputations
out <- list(mean = apply(summ, 1, mean), sd = apply(summ, 1, sd), m = 200,
            mice = as.character(packageVersion("mice")), pan = as.character(packageVersion("pan")))
names(out$mean) <- names(out$sd) <- paste(rep(c("y0", "y1", "y2"), each = 2),
                                          c("mean", "between"), sep = ".")
write_json(out, "mice_2l_pan.json", digits = 10, auto_unbox = TRUE, pretty = TRUE)
