from . import campaigns, coupons, points, surveys  # noqa: F401
