# Filled by the Mini App page's branch; until then a placeholder so the URLconf imports (the API's branch).
from django.http import HttpResponse


def index(request):
    return HttpResponse("NeuroCards Mini App", content_type="text/plain; charset=utf-8")
