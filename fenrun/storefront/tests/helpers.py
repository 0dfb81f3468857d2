import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fenrun.catalog.models import ProductImage

PASSWORD = "pass-word-123"


def png_file(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#3a7d46").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def add_image(product, alt=""):
    return ProductImage.objects.create(product=product, image=png_file(), alt=alt)
