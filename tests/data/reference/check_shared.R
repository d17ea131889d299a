# Check reference_lib.R against the references shipped in ../shared/reference (made
# elsewhere with lme4 1.1-31): refit each from its data.csv and print the largest relative
# difference over every number both JSON files hold. Writes nothing.
# Run: Rscript check_shared.R [path/to/shared/reference]   (default: ../../../../shared/reference)
args <- grep("^--file=", commandArgs(FALSE), value = TRUE)
if (length(args)) setwd(dirname(normalizePath(sub("^--file=", "", args[1]))))
source("reference_lib.R")
shared <- commandArgs(TRUE)[1]
if (is.na(shared)) shared <- "../../../../shared/reference"
if (!dir.exists(shared)) stop("no shared references at ", shared)

bt <- list(drug = c("No", "Yes"), length = c("<6m", ">6m"), treatment = c("TAU", "BtheB"))
cases <- list(
  btheb_ri = list(levels = bt, spec = list(list("~ treatment", list()))),
  btheb_ml = list(levels = bt, spec = list()),
  btheb_wave = list(levels = c(bt, list(wave = c("2", "3", "5", "8"))),
                    spec = list(list("~ treatment | wave", list()))),
  sleepstudy_slopes = list(levels = list(), spec = list(list("~ Days", list(Days = c(0, 4, 9)))))
)
numbers <- function(x, path = "") {
  if (is.list(x)) {
    nm <- names(x); if (is.null(nm)) nm <- seq_along(x)
    return(unlist(unname(Map(function(v, n) numbers(v, paste0(path, "/", n)), x, nm))))
  }
  if (is.numeric(x) && length(x) == 1) return(setNames(x, path))
  if (is.numeric(x)) return(setNames(x, paste0(path, "[", seq_along(x), "]")))
  NULL
}
for (name in names(cases)) {
  cs <- cases[[name]]
  old <- jsonlite::fromJSON(file.path(shared, name, "expected.json"), simplifyVector = FALSE)
  d <- read_case_data(file.path(shared, name, "data.csv"), levels = cs$levels,
                      groups = names(old$n_groups))
  fit <- fit_case(old$formula, d, reml = old$reml)
  tmp <- tempfile(fileext = ".json")
  write_reference(fit, dataset = name, source = old$source, file = tmp,
                  emmeans = lapply(cs$spec, function(s) emmeans_entry(fit, s[[1]], at = s[[2]])),
                  factor_levels = cs$levels)
  new <- jsonlite::fromJSON(tmp, simplifyVector = FALSE)
  a <- numbers(old[c("loglik", "sigma", "fixed", "varcorr", "emmeans")])
  b <- numbers(new[c("loglik", "sigma", "fixed", "varcorr", "emmeans")])
  common <- intersect(names(a), names(b))
  rel <- abs(a[common] - b[common]) / pmax(abs(a[common]), 1e-300)
  cat(sprintf("  %-18s %3d numbers; loglik difference %.1e; largest relative difference %.1e (%s)\n",
              name, length(common), abs(old$loglik - new$loglik), max(rel),
              common[which.max(rel)]))
}
