# Filled by the Mini App API's branch.
urlpatterns = []
