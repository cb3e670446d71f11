from django.db import migrations

CATEGORIES = [
    ("shipping", "配送・送料", 10),
    ("payment", "お支払い", 20),
    ("returns", "返品・交換", 30),
    ("points", "ポイント・会員", 40),
]

ENTRIES = [
    (
        "shipping",
        "送料はいくらですか？",
        "送料は配送方法とお届け先により異なります。ご注文手続きの配送方法の選択画面で、税込みの送料を確認できます。"
        "一定金額以上のご注文は送料無料になる場合があります。",
    ),
    (
        "shipping",
        "注文から何日で届きますか？",
        "通常、ご注文（お支払いの確認）から2〜4日でお届けします。北海道・沖縄県など一部の地域は1〜2日ほど多くかかります。"
        "お届け予定日は注文確認画面と注文確認メールに表示されます。",
    ),
    (
        "payment",
        "どの支払い方法が使えますか？",
        "クレジットカード（Visa、Mastercard、JCB、American Express）、銀行振込、代金引換をご利用いただけます。"
        "代金引換には所定の手数料がかかります。",
    ),
    (
        "payment",
        "銀行振込の期限はありますか？",
        "ご注文から7日以内にお振り込みください。期限を過ぎるとご注文はキャンセルとなります。振込手数料はお客様のご負担です。",
    ),
    (
        "returns",
        "返品や交換はできますか？",
        "商品到着から7日以内で、未使用・タグ付きの商品に限り返品・交換を承ります。化粧品は開封後の返品をお受けできません。"
        "不良品や誤配送の場合は送料当店負担で対応しますので、お問い合わせフォームからご連絡ください。",
    ),
    (
        "points",
        "ポイントはどうやって貯まり、いつ使えますか？",
        "お買い物の金額に応じてポイントが貯まり、返品受付期間が過ぎると使えるようになります。次回以降のお買い物で1ポイント＝1円として"
        "ご利用いただけます。ポイントには有効期限があり、マイページで確認できます。",
    ),
]


def add_faq(apps, schema_editor):
    FaqCategory = apps.get_model("support", "FaqCategory")
    FaqEntry = apps.get_model("support", "FaqEntry")
    categories = {}
    for slug, name, position in CATEGORIES:
        categories[slug], _created = FaqCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )
    for position, (slug, question, answer) in enumerate(ENTRIES, start=1):
        FaqEntry.objects.get_or_create(
            question=question,
            defaults={"category": categories[slug], "answer": answer, "position": position * 10, "is_published": True},
        )


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]

    operations = [migrations.RunPython(add_faq, migrations.RunPython.noop)]
