class LoyaltyError(Exception):
    """A rule of points or coupons was not met; the message is for the shopper, in their language."""


class CouponError(LoyaltyError):
    pass


class PointsError(LoyaltyError):
    pass
