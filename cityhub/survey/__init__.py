"""Surveys: design-based estimation (weights, strata, clusters, finite population correction),
calibration of weights to population margins (post-stratification, raking), estimates by
domain with linearised standard errors, as R's `survey` package defines them."""
