"""Goals and evidence: city indicators, targets and policy evaluation."""
