from rest_framework.routers import SimpleRouter

from .views import DynamoBooking

# dynamo/booking/ (list, create) and dynamo/booking/<int:pk>/ (retrieve, update, destroy).
router = SimpleRouter(use_regex_path=False)
router.register("dynamo/booking", DynamoBooking, basename="booking")
urlpatterns = router.urls
