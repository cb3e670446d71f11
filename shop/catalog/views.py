from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from shop.core.page_cache import visitor_page_cache
from shop.core.pagination import CountedPaginator

from . import selectors
from .context_processors import category_tree_for_request
from .forms import ProductFilterForm
from .structured_data import product_json_ld


@visitor_page_cache
def home(request):
    return render(
        request,
        "catalog/home.html",
        {
            "features": selectors.feature_live_list(),
            "new_arrivals": selectors.product_new_arrivals(),
            "featured": selectors.product_featured(),
            "category_tree": category_tree_for_request(request),
        },
    )


def _listing(request, *, template: str, node=None, extra=None):
    tree = category_tree_for_request(request)
    category_ids = node.ids if node else ()
    facets = selectors.product_facets(category_ids=category_ids)
    form = ProductFilterForm(request.GET or None, sizes=facets["sizes"], colours=facets["colours"])
    form.is_valid()
    filters = form.to_filters(category=node.category if node else None, category_ids=category_ids)
    paginator = CountedPaginator(
        lambda: selectors.product_list(filters=filters),
        settings.SHOP_PAGE_SIZE,
        read_page=lambda offset, limit: selectors.product_list_page(filters=filters, offset=offset, limit=limit),
    )
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "products": page.object_list,
        "category_tree": tree,
        "node": node,
        "querystring": query.urlencode(),
        **(extra or {}),
    }
    # The Jinja2 engine by name: asked by name only, Django tries its own engine first, which raises and catches a
    # TemplateDoesNotExist whose traceback the garbage collector then has to free (shop.jinja_env).
    return render(request, template, context, using="jinja2")


@visitor_page_cache
def product_list(request):
    return _listing(request, template="catalog/product_list.html")


@visitor_page_cache
def search(request):
    return _listing(request, template="catalog/product_list.html", extra={"is_search": True})


@visitor_page_cache
def category_detail(request, slug):
    node = selectors.category_node_get(slug=slug, tree=category_tree_for_request(request))
    if node is None:
        raise Http404
    return _listing(request, template="catalog/product_list.html", node=node)


@visitor_page_cache
def product_detail(request, slug):
    viewer_id = request.user.pk if request.user.is_authenticated else None
    page = selectors.product_get_for_page(slug=slug, viewer_id=viewer_id)
    if page is None:
        raise Http404
    product, variants, images = page.product, page.variants, page.images
    first_buyable = next((v for v in variants if v.stock_state != "sold_out"), None)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "variants": variants,
            "images": images,
            "selected_variant": first_buyable,
            "related": selectors.product_related(page=page, tree=category_tree_for_request(request)),
            "json_ld": product_json_ld(request=request, product=product, variants=variants, images=images),
            "category_tree": category_tree_for_request(request),
        },
        using="jinja2",
    )


@visitor_page_cache
def feature_detail(request, slug):
    feature = selectors.feature_get_live(slug=slug)
    if feature is None:
        raise Http404
    paginator = CountedPaginator(selectors.feature_products(feature=feature), settings.SHOP_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/feature_detail.html",
        {
            "feature": feature,
            "page": page,
            "products": page.object_list,
            "category_tree": category_tree_for_request(request),
        },
    )
