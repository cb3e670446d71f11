from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from ..selectors.campaigns import campaign_target_path, recipient_by_token, safe_internal_path
from ..services.campaigns import campaign_click_record


@require_GET
def click(request, token: str):
    """A tracked link from a campaign message: record the click, then open the campaign's page on this shop.

    The target comes from the campaign, never from the request (?to= only picks the survey), and is checked to be
    a path of this shop, so the link cannot be used to send people elsewhere. An unknown token opens the home page.
    """
    recipient = recipient_by_token(token=token)
    if recipient is None:
        return redirect("catalog:home")
    target = campaign_target_path(campaign=recipient.campaign, target=request.GET.get("to", ""))
    if not safe_internal_path(target):
        return redirect("catalog:home")
    campaign_click_record(recipient=recipient, url=target)
    return HttpResponseRedirect(target)
