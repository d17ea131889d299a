# Data for bench_mixed_terms.py: public data sets with several random-effects terms, at their
# real size and 10x (the grouping factors replicated with new levels, the response simulated
# from the lme4 fit to the real data: lme4's simulate() with new random effects).
# Usage: Rscript bench_mixed_terms_data.R OUTDIR
# Sources: nlme::Wafer, nlme::Assay, nlme::BodyWeight (nlme, GPL >= 2; Pinheiro & Bates 2000),
# lme4::cake, lme4::InstEval (lme4, GPL >= 2).
suppressPackageStartupMessages({library(lme4); library(nlme)})
out <- commandArgs(TRUE)[1]
set.seed(20261202)
plain <- function(d) { d <- as.data.frame(d); for (v in names(d)) if (is.factor(d[[v]])) d[[v]] <- as.character(d[[v]]); d }
write <- function(d, name) write.csv(d, file.path(out, paste0(name, ".csv")), row.names = FALSE)
grow <- function(d, formula, group, response, k = 10) {
  fit <- lmer(formula, data = d, REML = TRUE)
  big <- do.call(rbind, lapply(seq_len(k), function(i) { x <- d; x[[group]] <- paste0(x[[group]], "_", i); x }))
  big[[group]] <- factor(big[[group]])
  big[[response]] <- simulate(fit, newdata = big, allow.new.levels = TRUE)[[1]]
  plain(big)
}
shapes <- list(
  nested_slopes = list(d = transform(plain(nlme::Wafer), voltage2 = voltage^2),
                       f = current ~ voltage + voltage2 + (voltage | Wafer/Site), g = "Wafer", y = "current"),
  three_colon = list(d = plain(nlme::Assay),
                     f = logDens ~ sample * dilut + (1 | Block) + (1 | sample:Block) + (1 | dilut:Block),
                     g = "Block", y = "logDens"),
  two_colon = list(d = plain(lme4::cake)[, c("replicate", "recipe", "temp", "angle")],
                   f = angle ~ recipe * temp + (1 | replicate) + (1 | recipe:replicate),
                   g = "replicate", y = "angle"),
  uncorrelated = list(d = plain(nlme::BodyWeight), f = weight ~ Time * Diet + (Time || Rat),
                      g = "Rat", y = "weight"))
for (nm in names(shapes)) {
  s <- shapes[[nm]]
  for (v in names(s$d)) if (is.character(s$d[[v]])) s$d[[v]] <- factor(s$d[[v]])
  write(plain(s$d), paste0(nm, "_1x"))
  write(grow(s$d, s$f, s$g, s$y), paste0(nm, "_10x"))
}
# InstEval at 10x: new students and lecturers; the students of copy c meet the lecturers of
# copy (c + s) mod 10, so the factors stay crossed (one connected design), as in the real data
ie <- lme4::InstEval[, c("s", "d", "dept", "service", "y")]
write(plain(ie), "insteval_1x")
fit <- lmer(y ~ service + (1 | s) + (1 | d) + (1 | dept:service), data = ie, REML = TRUE)
si <- as.integer(ie$s); di <- as.integer(ie$d)
big <- do.call(rbind, lapply(0:9, function(c) data.frame(
  s = paste0("s", si + 2972L * c), d = paste0("d", di + 1128L * ((c + si) %% 10L)),
  dept = ie$dept, service = ie$service)))
for (v in c("s", "d")) big[[v]] <- factor(big[[v]])
big$y <- simulate(fit, newdata = big, allow.new.levels = TRUE)[[1]]
write(plain(big), "insteval_10x")
