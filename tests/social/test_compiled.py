"""social.compiled.CompiledQuery: compiled once, run with each call's values."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from social.compiled import CompiledQuery
from social.models import Post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_compiled_query_runs_with_each_calls_values():
    first, second = UserFactory(), UserFactory()
    Post.objects.create(author=first, body="one")
    Post.objects.create(author=second, body="two")
    Post.objects.create(author=second, body="hidden", status=Post.Status.HIDDEN)
    query = CompiledQuery(
        lambda *, author_id: Post.objects.filter(author_id=author_id, status=Post.Status.PUBLISHED).values("body"),
        "author_id",
    )

    assert query.rows(author_id=first.pk) == [{"body": "one"}]
    with CaptureQueriesContext(connection) as captured:
        assert query.rows(author_id=second.pk) == [{"body": "two"}]
    assert len(captured) == 1
    with pytest.raises(TypeError):
        query.rows(author=second.pk)


def test_a_value_that_is_not_a_parameter_is_refused():
    query = CompiledQuery(lambda *, author_id: Post.objects.values("body"), "author_id")  # not in the statement
    with pytest.raises(ValueError, match="Not parameters"):
        query.rows(author_id=3)
