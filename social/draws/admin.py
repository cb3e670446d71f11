"""Prize draws in admin: the draw with its entries and winners, the "draw the winners" action and the audit."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.core.admin_readonly import ReadOnlyAdmin, ReadOnlyInline

from . import selectors, services
from .exceptions import DrawError
from .models import Draw, DrawAudit, DrawEntry, DrawWinner


class WinnerInline(ReadOnlyInline):
    model = DrawWinner
    fields = ("position", "user", "entry", "notified_at")
    readonly_fields = fields


@admin.register(Draw)
class DrawAdmin(admin.ModelAdmin):
    list_display = ("title", "rule", "starts_at", "ends_at", "winners_count", "entries", "status", "drawn_at")
    list_filter = ("status", "rule")
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("products",)
    inlines = (WinnerInline,)
    actions = ("draw_winners",)
    fieldsets = (
        (None, {"fields": ("title", "slug", "status", "prize", "image", "description")}),
        (_("How to enter"), {"fields": ("rule", "products", "starts_at", "ends_at")}),
        (_("Winners"), {"fields": ("winners_count", "odds_text", "seed", "drawn_at", "drawn_by", "audit_check")}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = ["drawn_at", "drawn_by", "audit_check"]
        if obj is not None and obj.status == Draw.Status.DRAWN:
            # What was drawn stays as it was drawn.
            fields += ["status", "rule", "starts_at", "ends_at", "winners_count", "seed", "products"]
        return fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("products")

    @admin.display(description=_("entries"))
    def entries(self, obj):
        return obj.entries.count()

    @admin.display(description=_("audit"))
    def audit_check(self, obj):
        audit = getattr(obj, "audit", None) if obj is not None and obj.pk else None
        if audit is None:
            return "-"
        verdict = _("repeats correctly") if selectors.draw_audit_verify(audit=audit) else _("DOES NOT REPEAT")
        return _("%(count)d entries, seed %(seed)s, drawn by %(by)s: %(verdict)s") % {
            "count": audit.entry_count,
            "seed": audit.seed,
            "by": audit.drawn_by or "-",
            "verdict": verdict,
        }

    @admin.action(description=_("Draw the winners (once, after entries close)"), permissions=["change"])
    def draw_winners(self, request, queryset):
        now = timezone.now()
        for draw in queryset:
            try:
                winners = services.draw_perform(draw_id=draw.pk, actor=request.user, now=now)
            except DrawError as error:
                self.message_user(request, f"{draw}: {error}", level=messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(draw)s: %(count)d winners drawn and notified.") % {"draw": draw, "count": len(winners)},
                    level=messages.SUCCESS,
                )


@admin.register(DrawEntry)
class DrawEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "draw", "user", "created_at")
    list_filter = ("draw",)
    list_select_related = ("draw", "user")
    search_fields = ("user__email",)


@admin.register(DrawAudit)
class DrawAuditAdmin(ReadOnlyAdmin):
    list_display = ("draw", "drawn_at", "drawn_by", "entry_count", "seed", "winner_entry_ids")
    fields = ("draw", "drawn_at", "drawn_by", "seed", "entry_count", "entry_ids_hash", "winner_entry_ids", "method")
    readonly_fields = fields
