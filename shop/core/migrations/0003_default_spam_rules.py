from django.db import migrations

# Words typical of side-job, dating and get-rich spam in Japanese shop inboxes and comment sections. Staff refine
# the list in admin; a match holds the submission for review, it never deletes anything.
KEYWORDS = [
    ("副業", "side-job offers"),
    ("稼げる", "get-rich offers"),
    ("簡単に稼", "get-rich offers"),
    ("出会い", "dating spam"),
    ("高収入", "job spam"),
    ("在宅ワーク", "job spam"),
    ("LINE追加", "pulls people to another LINE account"),
    ("無料プレゼント", "giveaway scams"),
    ("当選しました", "prize scams"),
    ("仮想通貨", "investment scams"),
]


def add_rules(apps, schema_editor):
    SpamRule = apps.get_model("core", "SpamRule")
    for word, note in KEYWORDS:
        SpamRule.objects.get_or_create(kind="keyword", pattern=word, defaults={"applies_to": "all", "note": note})
    # Five inquiries an hour from one sender is a flood; a lively comment thread legitimately goes faster.
    for applies_to, limit in (("inquiry", 5), ("review", 10), ("comment", 30)):
        SpamRule.objects.get_or_create(
            kind="frequency",
            applies_to=applies_to,
            threshold=limit,
            defaults={"note": f"more than {limit} per hour from one sender"},
        )
    SpamRule.objects.get_or_create(
        kind="content",
        pattern="",
        threshold=3,
        defaults={"applies_to": "all", "note": "link spam"},
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_spamrule")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
