#!/bin/sh
# Regenerate every reference: sh run_all.sh (needs R with lme4, glmmTMB, emmeans, car, HSAUR3, mlmRev).
cd "$(dirname "$0")"
for d in */; do (cd "$d" && Rscript make.R > make.log 2>&1; echo "$d $?"); done
