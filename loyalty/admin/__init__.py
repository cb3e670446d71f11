from . import campaigns, coupons, lifecycle, points, surveys  # noqa: F401
