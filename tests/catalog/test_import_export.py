"""CSV of products by SKU: export for Excel in Japan (UTF-8 with BOM), import with a preview, all or nothing."""

import codecs
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shop.catalog.models import Product, Variant
from shop.catalog.resources import COLUMNS, CsvDecodeError, ExcelCSV, VariantCsvResource
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

BOM = codecs.BOM_UTF8
IMPORT_URL = "admin:catalog_variant_import"
PROCESS_IMPORT_URL = "admin:catalog_variant_process_import"


@pytest.fixture
def staff(client, otp_login):
    user = UserFactory(email="catalog-staff@example.jp", is_staff=True, is_superuser=True)
    otp_login(client, user)  # the admin requires a session verified by an OTP device
    return user


@pytest.fixture
def catalog():
    """One product with two SKUs already in the shop, and a category a new product can go into."""
    tops = CategoryFactory(name="トップス", slug="tops")
    CategoryFactory(name="ボトムス", slug="bottoms")
    knit = ProductFactory(name="ざっくりニット", slug="chunky-knit", brand="ルミ", category=tops)
    VariantFactory(product=knit, sku="KNIT-NV-M", size="M", colour="ネイビー", price=5980, stock=4)
    VariantFactory(product=knit, sku="KNIT-NV-L", size="L", colour="ネイビー", price=6980, stock=0)
    knit.refresh_from_db()
    return knit


def _csv_bytes(rows: list[dict], *, encoding: str = "utf-8-sig", columns=COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in columns})
    return buffer.getvalue().encode(encoding)


def _row(**values) -> dict:
    row = {
        "sku": "SKIRT-BK-S",
        "product_slug": "pleated-skirt",
        "product_name": "プリーツスカート",
        "brand": "ルミ",
        "category_slug": "bottoms",
        "size": "S",
        "colour": "ブラック",
        "price": "4980",
        "compare_at_price": "",
        "stock": "12",
        "is_active": "1",
    }
    row.update(values)
    return row


def _snapshot():
    """Everything an import could change, to prove a rejected file changed nothing."""
    return (
        sorted(Product.objects.values_list("slug", "name", "brand", "category_id", "price", "in_stock")),
        sorted(Variant.objects.values_list("sku", "product_id", "size", "colour", "price", "stock", "is_active")),
    )


def _upload(client, data: bytes, name: str = "products.csv"):
    return client.post(
        reverse(IMPORT_URL),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def _import_through_admin(client, data: bytes):
    preview = _upload(client, data)
    assert preview.status_code == 200
    confirm_form = preview.context["confirm_form"]
    assert confirm_form is not None, preview.context["result"].invalid_rows
    return preview, client.post(reverse(PROCESS_IMPORT_URL), confirm_form.initial)


def test_export_csv_starts_with_a_bom_and_keeps_japanese_intact(client, staff, catalog):
    export_url = reverse("admin:catalog_variant_export")
    assert client.get(export_url).status_code == 200
    selected = {f"variantcsvresource_{column}": "on" for column in COLUMNS}

    response = client.post(export_url, {"resource": "0", "format": "0", **selected})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].endswith('.csv"')
    body = response.content
    assert body.startswith(BOM)
    assert not body[len(BOM) :].startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == list(COLUMNS)
    by_sku = {row["sku"]: row for row in rows}
    assert by_sku["KNIT-NV-M"] == {
        "sku": "KNIT-NV-M",
        "product_slug": "chunky-knit",
        "product_name": "ざっくりニット",
        "brand": "ルミ",
        "category_slug": "tops",
        "size": "M",
        "colour": "ネイビー",
        "price": "5980",
        "compare_at_price": "",
        "stock": "4",
        "is_active": "1",
    }


def test_import_through_the_admin_previews_then_creates_and_updates(client, staff, catalog):
    data = _csv_bytes(
        [
            # Existing SKU: new price and stock; the product gets a new name.
            {
                **_row(sku="KNIT-NV-M", product_slug="chunky-knit", category_slug="tops"),
                "product_name": "ざっくりニット（新色）",
                "brand": "",
                "size": "M",
                "colour": "ネイビー",
                "price": "4980",
                "compare_at_price": "5980",
                "stock": "9",
            },
            # A new product with two SKUs.
            _row(sku="SKIRT-BK-S", size="S", price="4980"),
            _row(sku="SKIRT-BK-M", size="M", price="3980", stock="3"),
        ]
    )
    assert data.startswith(BOM)
    before = _snapshot()

    preview = _upload(client, data)

    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["update", "new", "new"]
    assert preview.context["confirm_form"] is not None
    assert _snapshot() == before  # the preview is a dry run

    response = client.post(reverse(PROCESS_IMPORT_URL), preview.context["confirm_form"].initial)

    assert response.status_code == 302
    knit = Product.objects.get(slug="chunky-knit")
    assert (knit.name, knit.brand) == ("ざっくりニット（新色）", "ルミ")  # a blank cell keeps the brand
    assert (knit.price, knit.compare_at_price, knit.in_stock) == (4980, 5980, True)
    updated = Variant.objects.get(sku="KNIT-NV-M")
    assert (updated.price, updated.compare_at_price, updated.stock) == (4980, 5980, 9)
    skirt = Product.objects.get(slug="pleated-skirt")
    assert (skirt.name, skirt.brand, skirt.category.slug) == ("プリーツスカート", "ルミ", "bottoms")
    assert sorted(skirt.variants.values_list("sku", "price", "stock")) == [
        ("SKIRT-BK-M", 3980, 3),
        ("SKIRT-BK-S", 4980, 12),
    ]
    assert (skirt.price, skirt.in_stock) == (3980, True)  # synced from the variants after the import
    record = updated.history.order_by("-history_date", "-history_id").first()
    assert (record.stock, record.history_user) == (9, staff)


def test_import_accepts_utf8_without_bom_and_excel_shift_jis(client, staff, catalog):
    plain = _csv_bytes([_row(sku="SKIRT-BK-S")], encoding="utf-8")
    shift_jis = _csv_bytes([_row(sku="SKIRT-BK-M", size="M")], encoding="cp932")
    assert not plain.startswith(BOM)

    for data in (plain, shift_jis):
        _preview, response = _import_through_admin(client, data)
        assert response.status_code == 302

    assert set(Product.objects.get(slug="pleated-skirt").variants.values_list("sku", "colour")) == {
        ("SKIRT-BK-S", "ブラック"),
        ("SKIRT-BK-M", "ブラック"),
    }


def test_a_file_in_no_known_encoding_gets_a_clear_error_on_the_form(client, staff, catalog):
    data = _csv_bytes([_row()], encoding="utf-8")[:-4] + b"\xff\xfe\xfa\r\n"
    with pytest.raises(CsvDecodeError):
        ExcelCSV().create_dataset(data)

    response = _upload(client, data)

    assert response.status_code == 200
    [error] = response.context["form"].errors["import_file"]
    assert "cp932" in error and "UnicodeDecodeError" not in error
    assert not Product.objects.filter(slug="pleated-skirt").exists()


def test_a_bad_file_is_reported_row_by_row_in_the_preview_and_nothing_is_saved(client, staff, catalog):
    data = _csv_bytes(
        [
            _row(sku="SKIRT-BK-S"),  # fine on its own
            _row(sku="KNIT-NV-M", product_slug="chunky-knit", category_slug="tops", stock="-3"),
            _row(sku="SKIRT-BK-M", category_slug="no-such-category"),
            _row(sku="SKIRT-BK-L", price="四千円"),
            _row(sku=""),
        ]
    )
    before = _snapshot()

    response = _upload(client, data)

    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    result = response.context["result"]
    errors = {row.number: set(row.field_specific_errors) for row in result.invalid_rows}
    assert errors == {2: {"stock"}, 3: {"category_slug"}, 4: {"price"}, 5: {"sku"}}
    html = response.content.decode()
    assert "no-such-category" in html and "四千円" in html
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("values", "column"),
    [
        ({"stock": "-1"}, "stock"),
        ({"price": "-100"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "1980.5"}, "price"),
        ({"stock": "2.5"}, "stock"),
        ({"price": ""}, "price"),
        ({"category_slug": "nope"}, "category_slug"),
        ({"product_slug": "new-coat", "category_slug": ""}, "category_slug"),
        ({"product_slug": "new-coat", "product_name": ""}, "product_name"),
        ({"product_slug": "スカート"}, "product_slug"),
        ({"sku": ""}, "sku"),
        ({"is_active": "maybe"}, "is_active"),
    ],
)
def test_resource_rejects_a_bad_row_without_saving_the_good_ones(catalog, values, column):
    data = _csv_bytes([_row(sku="SKIRT-BK-S"), _row(**{"sku": "SKIRT-BK-M", **values})])
    dataset = ExcelCSV().create_dataset(data)
    before = _snapshot()

    result = VariantCsvResource().import_data(dataset, dry_run=False)

    assert result.has_validation_errors()
    assert [(row.number, set(row.field_specific_errors)) for row in result.invalid_rows] == [(2, {column})]
    assert _snapshot() == before


def test_resource_dry_run_then_real_run_and_excel_style_numbers(catalog):
    data = _csv_bytes(
        [
            _row(sku="SKIRT-BK-S", price="¥4,980", stock="１２"),
            _row(sku="SKIRT-BK-M", price="4,980", is_active="FALSE"),
        ]
    )
    resource = VariantCsvResource()
    before = _snapshot()

    dry = resource.import_data(ExcelCSV().create_dataset(data), dry_run=True)
    assert not dry.has_errors() and not dry.has_validation_errors()
    assert _snapshot() == before

    real = resource.import_data(ExcelCSV().create_dataset(data), dry_run=False)

    assert not real.has_errors() and not real.has_validation_errors()
    assert sorted(
        Variant.objects.filter(product__slug="pleated-skirt").values_list("sku", "price", "stock", "is_active")
    ) == [
        ("SKIRT-BK-M", 4980, 12, False),
        ("SKIRT-BK-S", 4980, 12, True),
    ]
    skirt = Product.objects.get(slug="pleated-skirt")
    assert (skirt.price, skirt.in_stock) == (4980, True)  # only the active SKU counts


def test_a_stock_only_file_updates_stock_and_leaves_the_rest(catalog):
    data = _csv_bytes([{"sku": "KNIT-NV-L", "stock": "20"}], columns=("sku", "stock"))

    result = VariantCsvResource().import_data(ExcelCSV().create_dataset(data), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    variant = Variant.objects.get(sku="KNIT-NV-L")
    assert (variant.stock, variant.price, variant.size, variant.is_active) == (20, 6980, "L", True)
    assert Product.objects.get(slug="chunky-knit").in_stock is True


def test_an_existing_sku_cannot_be_moved_to_another_product_or_repeated(catalog):
    moved = _csv_bytes([_row(sku="KNIT-NV-M")])
    repeated = _csv_bytes([_row(sku="SKIRT-BK-S"), _row(sku="SKIRT-BK-S", size="M")])
    before = _snapshot()

    for data, number, column in ((moved, 1, "product_slug"), (repeated, 2, "sku")):
        result = VariantCsvResource().import_data(ExcelCSV().create_dataset(data), dry_run=False)
        assert [(row.number, set(row.field_specific_errors)) for row in result.invalid_rows] == [(number, {column})]

    assert _snapshot() == before


def test_an_exported_file_imports_back_without_changing_anything(catalog):
    exported = ExcelCSV().export_data(VariantCsvResource().export())
    assert exported.startswith(BOM)
    before = _snapshot()

    result = VariantCsvResource().import_data(ExcelCSV().create_dataset(exported), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["update", "update"]
    assert _snapshot() == before


def test_blank_rows_excel_leaves_at_the_end_are_ignored(catalog):
    data = _csv_bytes([_row(sku="SKIRT-BK-S")]) + b",,,,,,,,,,\r\n,,,,,,,,,,\r\n"

    result = VariantCsvResource().import_data(ExcelCSV().create_dataset(data), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 1
    assert Variant.objects.filter(sku="SKIRT-BK-S").exists()
