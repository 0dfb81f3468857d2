from django.urls import path

from fenrun.invoices import standin

app_name = "invoices"

urlpatterns = [
    path(
        "invoices/ecpay-stand-in/B2CInvoice/<str:operation>",
        standin.stand_in_view,
        name="ecpay_stand_in",
    ),
]
