# Multi-dimensional Satterthwaite F tests of R's mmrm (0.3.18, as make.R) with the three
# empirical covariances: the ARMCD x AVISIT interaction of the fev_data model (unstructured).
# Run from this folder:  R_LIBS=/tmp/rlib Rscript make_md.R
source("data.R")
out <- list()
for (vc in c("Empirical", "Empirical-Jackknife", "Empirical-Bias-Reduced")) {
  fit <- mmrm(FEV1 ~ RACE + SEX + ARMCD * AVISIT + us(AVISIT | USUBJID), data = fev,
              reml = TRUE, method = "Satterthwaite", vcov = vc)
  b <- names(coef(fit))
  C <- matrix(0, 3, length(b), dimnames = list(NULL, b))
  for (k in 2:4) C[k - 1, paste0("ARMCDTRT:AVISITVIS", k)] <- 1
  r <- df_md(fit, C)
  out[[length(out) + 1]] <- list(vcov = vc, term = "ARMCD:AVISIT", num_df = r$num_df,
                                 den_df = r$denom_df, F = r$f_stat, p = r$p_val)
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "expected_md.json")
