# Reference: R's bases for the stateful transforms, to compare to 1e-10.
# x: the ages of datasets::Loblolly (3, 5, 10, 15, 20, 25, each 14 times) plus a few odd
# values; new: values to predict at, inside and beyond the boundary knots.
# Run: Rscript make.R   (from any directory; writes expected.json here)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
library(splines)
library(jsonlite)
x <- c(datasets::Loblolly$age[1:18], 0.5, 7.25, 11.125, 30)
new <- c(-2, 0.5, 4, 12.5, 26, 31)
p3 <- poly(x, 3)
b4 <- bs(x, df = 5)
bk <- bs(x, knots = c(6, 14), degree = 2)
n3 <- ns(x, df = 4)
nk <- ns(x, knots = 10, intercept = TRUE)
s <- scale(x)
m <- function(a) unname(as.matrix(a))
out <- list(
  x = x, new = new,
  poly3 = m(p3), poly3_new = m(predict(p3, new)),
  poly3_alpha = attr(p3, "coefs")$alpha, poly3_norm2 = attr(p3, "coefs")$norm2,
  bs_df5 = m(b4), bs_df5_new = m(suppressWarnings(predict(b4, new))), bs_df5_knots = unname(attr(b4, "knots")),
  bs_knots_deg2 = m(bk), bs_knots_deg2_new = m(suppressWarnings(predict(bk, new))),
  ns_df4 = m(n3), ns_df4_new = m(predict(n3, new)), ns_df4_knots = unname(attr(n3, "knots")),
  ns_knot_int = m(nk), ns_knot_int_new = m(predict(nk, new)),
  scale_center = attr(s, "scaled:center"), scale_scale = attr(s, "scaled:scale"),
  contr_poly5 = m(contr.poly(5)), contr_sum4 = m(contr.sum(4)),
  r_version = paste(R.version$major, R.version$minor, sep = ".")
)
writeLines(toJSON(out, digits = NA, matrix = "rowmajor", auto_unbox = TRUE, pretty = TRUE), "expected.json")
