"""Reads of the dashboard: `sales`, `social`, `marketing` (campaigns, repeat rate, cohorts) and `customers`.

Every function runs a fixed number of queries whatever the number of orders: the database groups and sums
(TruncDate, ExtractHour, Sum/Count with filters), Python only fills in the empty days and hours.
"""
