"""Product image renditions made by a real `celery -A shop worker` process, through Redis, not inline."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from shop.catalog import tasks
from shop.catalog.models import ProductImage
from tests.factories import ProductFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TASK = "shop.catalog.tasks.product_image_make_renditions"
SOURCE_SIZE = (1600, 1000)  # wider than every rendition, so each width is really made


def _photo() -> SimpleUploadedFile:
    image = Image.new("RGB", SOURCE_SIZE, (214, 196, 180))
    ImageDraw.Draw(image).ellipse((500, 200, 1100, 800), fill=(31, 42, 68))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return SimpleUploadedFile("linen-shirt.jpg", buffer.getvalue(), content_type="image/jpeg")


def _rendition_files(media_root: Path) -> dict[str, int]:
    folder = media_root / "renditions"
    return {str(p.relative_to(media_root)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_worker_makes_webp_and_link_preview_once(celery_worker_process):
    worker = celery_worker_process
    media_root = Path(settings.MEDIA_ROOT)
    product = ProductFactory(name="リネンシャツ")

    # The upload commits; the receiver's on_commit .delay() publishes to the worker's queue.
    image = ProductImage.objects.create(product=product, image=_photo(), alt="リネンシャツ ネイビー")
    assert (media_root / image.image.name).is_file()

    def ready():
        image.refresh_from_db()
        return image.renditions_ready

    worker.wait_until(ready, what="the worker to make the renditions")
    worker.wait_until(lambda: worker.log().count(f"{TASK}[") >= 2, what="the worker to log the task")
    log = worker.log()
    assert f"Task {TASK}[" in log and " received" in log
    assert log.count(" succeeded in ") == 1, log

    renditions = image.renditions
    assert renditions["source"] == image.image.name
    assert set(renditions["webp"]) == {str(width) for width in settings.SHOP_IMAGE_WIDTHS}
    for width, name in renditions["webp"].items():
        path = media_root / name
        assert path.is_file(), f"{name} is not in the shared MEDIA_ROOT"
        with Image.open(path) as webp:
            assert webp.format == "WEBP"
            assert webp.size == (int(width), int(width) * SOURCE_SIZE[1] // SOURCE_SIZE[0])
    with Image.open(media_root / renditions["og"]) as og:
        assert og.format == "JPEG"
        assert og.size == (1200, 630)

    files = _rendition_files(media_root)
    assert len(files) == len(settings.SHOP_IMAGE_WIDTHS) + 1

    # A second delivery of the same task (a retry, a duplicate) changes nothing: no new, rewritten or lost file.
    tasks.product_image_make_renditions.delay(image.pk)
    worker.wait_until(lambda: worker.log().count(" succeeded in ") >= 2, what="the second run of the task")
    assert _rendition_files(media_root) == files
    image.refresh_from_db()
    assert image.renditions == renditions

    # Saving the image row again (say, new alt text) enqueues nothing: its renditions are current.
    image.alt = "リネンシャツ ホワイト"
    image.save()
    tasks.product_image_make_renditions.delay(image.pk)  # a marker: the worker handles its queue in order
    worker.wait_until(lambda: worker.log().count(" succeeded in ") >= 3, what="the marker task")
    assert worker.log().count(" received") == 3, worker.log()
    assert _rendition_files(media_root) == files
