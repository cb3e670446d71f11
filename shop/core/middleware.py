from django.conf import settings
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin


class ShopLocaleMiddleware(MiddlewareMixin):
    """Japanese first: the language is the one the shopper picked with the switcher (cookie), else Japanese.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a phone set to English would get
    the English site although the shop is Japanese; here English is only shown on request.
    """

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {lang for lang, _name in settings.LANGUAGES}
        language = code if code in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
