"""The dashboard in the admin: report pages (`reports`) and the calendar and incident record (`operations`)."""

from . import operations, reports  # noqa: F401 - importing registers the ModelAdmins
