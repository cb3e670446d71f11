// Share buttons: copy the link (with the visible input as the fallback) and the browser's own share sheet.
// No third-party code: LINE, X and Facebook are plain links to their share pages.
(function () {
  "use strict";

  function setUp(box) {
    var status = box.querySelector("[data-share-status]");
    var input = box.querySelector("[data-share-input]");
    var copy = box.querySelector("[data-share-copy]");
    var native = box.querySelector("[data-share-native]");

    function say(text) {
      if (status) status.textContent = text;
    }

    function selectInput() {
      if (!input) return;
      input.focus();
      input.select();
      input.setSelectionRange(0, input.value.length);
    }

    if (input) input.addEventListener("focus", selectInput);

    if (copy) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        var url = copy.getAttribute("data-url");
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(url).then(
            function () { say(copy.getAttribute("data-done")); },
            function () { selectInput(); say(copy.getAttribute("data-failed")); }
          );
        } else {
          selectInput();
          say(copy.getAttribute("data-failed"));
        }
      });
    }

    if (native && typeof navigator.share === "function") {
      native.hidden = false;
      native.addEventListener("click", function () {
        navigator.share({ title: native.getAttribute("data-title"), url: native.getAttribute("data-url") })
          .catch(function () { /* the person closed the sheet */ });
      });
    }
  }

  function init() {
    document.querySelectorAll("[data-share]").forEach(function (box) {
      if (box.dataset.shareReady) return;
      box.dataset.shareReady = "1";
      setUp(box);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
