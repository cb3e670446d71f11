"""Reads of the loyalty app: `points` (balance, history, limits, ranks) and `coupons`."""
