# Reference for hs.role_agreement / cohen_kappa: psych::cohen.kappa (psych 2.2.9, Debian)
# on R's airquality (package datasets, GPL; NY State Dept of Conservation), with Ozone as
# "help given" and Wind as "help received" (two numeric columns with missing values).
# Roles are Maton's rule (high = strictly above the cut-off), coded by hand here.
library(psych)
d <- airquality[, c("Ozone", "Wind")]
names(d) <- c("given", "received")
write.csv(d, "data.csv", row.names = FALSE, na = "")
role <- function(g, r, cg, cr) {
  hg <- g > cg; hr <- r > cr
  ifelse(hg & hr, "dual", ifelse(hg, "helper", ifelse(hr, "helpee", "neither")))
}
ok <- complete.cases(d)
med <- role(d$given, d$received, median(d$given[ok]), median(d$received[ok]))
fix1 <- role(d$given, d$received, 30, 10)
fix2 <- role(d$given, d$received, 60, 8)
rules <- list(median = med, low = fix1, high = fix2)
pairs <- list(c("median", "low"), c("median", "high"), c("low", "high"))
out <- lapply(pairs, function(p) {
  x <- data.frame(r1 = rules[[p[1]]], r2 = rules[[p[2]]])
  x <- x[complete.cases(x), ]
  k <- cohen.kappa(x)
  list(rule_1 = p[1], rule_2 = p[2], n = nrow(x), kappa = k$kappa,
       var_kappa = k$var.kappa, lower = k$confid[1, 1], upper = k$confid[1, 3],
       agreement = mean(x$r1 == x$r2))
})
writeLines(jsonlite::toJSON(list(pairs = out, psych = as.character(packageVersion("psych"))),
                            digits = I(15), auto_unbox = TRUE, pretty = TRUE), "expected.json")
