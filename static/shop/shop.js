// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  function onVariantChange(event) {
    var input = event.target;
    if (!input.matches('input[name="variant"]')) return;
    var form = input.closest("form");
    var price = document.querySelector("[data-current-price]");
    if (price) {
      price.textContent = "";
      if (input.dataset.compare) {
        var del = document.createElement("del");
        del.textContent = input.dataset.compare;
        price.appendChild(del);
        price.appendChild(document.createTextNode(" "));
      }
      var strong = document.createElement("strong");
      strong.textContent = input.dataset.price;
      price.appendChild(strong);
    }
    var quantity = form && form.querySelector('input[name="quantity"]');
    if (quantity && input.dataset.max) {
      quantity.max = input.dataset.max;
      if (Number(quantity.value) > Number(input.dataset.max)) quantity.value = input.dataset.max;
    }
    var feedback = form && form.querySelector("#cart-feedback");
    if (feedback) feedback.textContent = "";
  }
  function onThumbClick(event) {
    var link = event.target.closest("[data-thumb]");
    if (!link) return;
    event.preventDefault();
    var main = document.querySelector(".main-image img");
    var img = link.querySelector("img");
    if (main && img) {
      main.src = img.currentSrc || img.src;
      if (img.srcset) main.srcset = img.srcset;
      main.sizes = "(max-width: 800px) 100vw, 560px";
    }
  }
  // Filters sit behind a toggle on phones; on wide screens they are always shown.
  if (window.matchMedia("(min-width: 900px)").matches) {
    document.querySelectorAll("details.filters-toggle").forEach(function (d) { d.open = true; });
  }
  document.addEventListener("change", onVariantChange);
  document.addEventListener("click", onThumbClick);
})();
