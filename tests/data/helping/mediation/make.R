# Reference for hs.mediate (single level): lavaan 0.6 sem() with := on a simulated, saved
# data set shaped like Segal et al.'s self-help-agency trial (arm -> change in empowerment
# -> change in self-stigma, adjusted for both baselines). The data are simulated here
# once and saved (data.csv); licence: CC0. Run: Rscript make.R (takes about a minute).
library(lavaan)
library(boot)
set.seed(20131)
n <- 240
arm <- rep(0:1, each = n / 2)
emp_base <- rnorm(n, 3, 0.5)
stig_base <- rnorm(n, 2.5, 0.6) - 0.2 * (emp_base - 3)
emp_change <- 0.25 * arm - 0.3 * (emp_base - 3) + rnorm(n, 0, 0.45)
stig_change <- -0.35 * emp_change - 0.15 * arm - 0.25 * (stig_base - 2.5) + rnorm(n, 0, 0.5)
group <- rep(sprintf("G%02d", 1:24), length.out = n)
d <- data.frame(arm = arm, group = group, emp_base = emp_base, stig_base = stig_base,
                emp_change = emp_change, stig_change = stig_change)
write.csv(d, "data.csv", row.names = FALSE)

simple <- '
  emp_change ~ a * arm
  stig_change ~ cp * arm + b * emp_change
  indirect := a * b
  total := cp + a * b
  proportion := a * b / (cp + a * b)
'
adjusted <- '
  emp_change ~ a * arm + emp_base + stig_base
  stig_change ~ cp * arm + b * emp_change + emp_base + stig_base
  indirect := a * b
  total := cp + a * b
  proportion := a * b / (cp + a * b)
'
labels <- c(a = "a", b = "b", cp = "direct", indirect = "indirect", total = "total",
            proportion = "proportion")
pick <- function(pe) {
  pe <- pe[pe$label %in% names(labels), ]
  pe <- pe[!duplicated(pe$label), ]
  rownames(pe) <- labels[pe$label]
  pe
}
result <- list()
for (name in c("simple", "adjusted")) {
  model <- get(name)
  fit <- sem(model, data = d)               # ML, expected information, fixed.x
  pe <- pick(parameterEstimates(fit))
  set.seed(7)
  bfit <- sem(model, data = d, se = "bootstrap", bootstrap = 5000)
  perc <- pick(parameterEstimates(bfit, boot.ci.type = "perc"))
  bcs <- pick(parameterEstimates(bfit, boot.ci.type = "bca.simple"))
  # full BCa (jackknife acceleration) from the boot package on the same statistic
  stat <- function(data, i) {
    x <- data[i, ]
    cov_names <- if (name == "adjusted") c("emp_base", "stig_base") else character(0)
    fm <- lm(reformulate(c("arm", cov_names), "emp_change"), data = x)
    fy <- lm(reformulate(c("arm", "emp_change", cov_names), "stig_change"), data = x)
    a <- coef(fm)[["arm"]]; b <- coef(fy)[["emp_change"]]; cp <- coef(fy)[["arm"]]
    c(a, b, cp, a * b, cp + a * b, a * b / (cp + a * b))
  }
  set.seed(11)
  bt <- boot(d, stat, R = 5000)
  bca <- sapply(1:6, function(j) {
    L <- empinf(bt, index = j, type = "jack")
    ci <- boot.ci(bt, type = "bca", index = j, L = L)$bca
    ci[4:5]
  })
  boot_sd <- apply(bt$t, 2, sd)
  rows <- c("a", "b", "direct", "indirect", "total", "proportion")
  result[[name]] <- list(
    terms = rows,
    estimate = pe[rows, "est"], se = pe[rows, "se"], z = pe[rows, "z"],
    boot_se = perc[rows, "se"],
    perc_lower = perc[rows, "ci.lower"], perc_upper = perc[rows, "ci.upper"],
    bca_simple_lower = bcs[rows, "ci.lower"], bca_simple_upper = bcs[rows, "ci.upper"],
    boot_bca_lower = bca[1, ], boot_bca_upper = bca[2, ], boot_sd = boot_sd,
    n = nobs(fit)
  )
}
result$lavaan <- as.character(packageVersion("lavaan"))
result$boot <- as.character(packageVersion("boot"))
writeLines(jsonlite::toJSON(result, digits = I(15), auto_unbox = TRUE, pretty = TRUE),
           "expected.json")
