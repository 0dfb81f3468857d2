// A product's thumbnails show their photo in the main image instead of opening it alone.
document.querySelectorAll(".gallery .thumbs a").forEach(function (link) {
  link.addEventListener("click", function (event) {
    event.preventDefault();
    document.getElementById("main-image").src = link.dataset.full;
  });
});
