import logging
import time

from django.core.management.base import BaseCommand, CommandError

from social import demo_data


class Command(BaseCommand):
    help = (
        "Fill the feed with demo members, posts, likes, comments, follows and product reviews. "
        "Run seed_demo first. Safe to run again: only what is missing is added."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=demo_data.DEFAULT_MEMBERS, help="How many members.")
        parser.add_argument("--posts", type=int, default=demo_data.DEFAULT_POSTS, help="How many member posts.")
        parser.add_argument("--reviews", type=int, default=demo_data.DEFAULT_REVIEWS, help="How many reviews.")
        parser.add_argument(
            "--seed", type=int, default=demo_data.DEFAULT_SEED, help="Random seed (same data each run)."
        )

    def handle(self, *args, members, posts, reviews, seed, **options):
        if not 1 <= members <= 100:
            raise CommandError("--members must be between 1 and 100.")
        if posts < 0 or reviews < 0:
            raise CommandError("--posts and --reviews must be 0 or more.")
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        started = time.monotonic()
        try:
            result = demo_data.demo_social_seed(members=members, posts=posts, reviews=reviews, seed=seed)
        except demo_data.DemoDataMissing as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo community ready in {time.monotonic() - started:.1f} s: {len(result.members)} members "
                f"({result.members_created} new), {result.posts_created} new posts ({result.photos_created} photos), "
                f"{result.marks_created} new want/own marks, {result.likes_created} new likes, "
                f"{result.comments_created} new comments, {result.follows_created} new follows, "
                f"{result.reviews_created} new reviews."
            )
        )
        self.stdout.write(
            f"Member logins: {demo_data.MEMBER_EMAIL.format(n=1)} … {demo_data.MEMBER_EMAIL.format(n=members)}"
            f" / {demo_data.MEMBER_PASSWORD}"
        )
