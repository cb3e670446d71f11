"""Writes of the loyalty app: `points` (ledger, earning, redeeming, expiry), `ranks`, `coupons`."""
