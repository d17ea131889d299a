# Reference for hs.decompose: datawizard::demean on R's ChickWeight (datasets package,
# GPL; Crowder & Hand 1990), with some weights set missing so that the between part is a
# mean over the observed values only. Run: Rscript make.R  (datawizard 0.6.5, Debian).
library(datawizard)
d <- as.data.frame(ChickWeight)
d$Chick <- as.character(d$Chick)
d$Diet <- NULL
d$weight <- as.numeric(d$weight)
d$weight[seq(5, nrow(d), by = 7)] <- NA
d$time2 <- d$Time^2 / 10
d$time2[seq(3, nrow(d), by = 11)] <- NA
write.csv(d, "data.csv", row.names = FALSE, na = "")
dm <- demean(d, select = c("weight", "time2"), group = "Chick")
# grand-mean centring of the between part (demean has no such option): minus the mean of
# the person means, each chick once, computed here by hand
pm <- tapply(d$weight, d$Chick, mean, na.rm = TRUE)
out <- list(
  weight_between = dm$weight_between,
  weight_within = dm$weight_within,
  time2_between = dm$time2_between,
  time2_within = dm$time2_within,
  weight_between_grand = dm$weight_between - mean(pm),
  datawizard = as.character(packageVersion("datawizard"))
)
# 17 significant digits (jsonlite's toJSON stops at 15)
num <- function(x) paste0("[", paste(ifelse(is.na(x), "null", sprintf("%.17g", x)),
                                     collapse = ","), "]")
fields <- sapply(names(out), function(k) {
  v <- out[[k]]
  if (is.character(v)) sprintf('"%s": "%s"', k, v) else sprintf('"%s": %s', k, num(v))
})
writeLines(paste0("{\n", paste(fields, collapse = ",\n"), "\n}"), "expected.json")
