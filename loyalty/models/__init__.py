"""The loyalty app's models, one module per subject; imported here so Django and callers find them."""

from .campaigns import BannedWord, Campaign, CampaignClick, CampaignRecipient, CampaignVariant, Segment  # noqa: F401
from .coupons import Coupon, CouponRedemption  # noqa: F401
from .lifecycle import EventInvitation, LifecycleSettings  # noqa: F401
from .points import LoyaltySettings, PointAccount, PointEntry, Rank, RankChange  # noqa: F401
from .surveys import Survey, SurveyAnswer, SurveyChoice, SurveyQuestion, SurveyResponse  # noqa: F401
