// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  function onVariantChange(event) {
    var input = event.target;
    if (!input.matches('input[name="variant"]')) return;
    var form = input.closest("form");
    var price = document.querySelector("[data-price]");
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
  document.addEventListener("change", onVariantChange);
  document.addEventListener("click", onThumbClick);
})();
