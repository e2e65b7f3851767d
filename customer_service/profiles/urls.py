from common.routers import Router, SingletonRouter
from profiles import api

me = SingletonRouter()
me.register("customers/me", api.MeViewSet, basename="me")
collections = Router()
collections.register("customers/me/addresses", api.AddressViewSet, basename="address")

urlpatterns = collections.urls + me.urls
