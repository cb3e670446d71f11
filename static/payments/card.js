// Card payment with Stripe.js (or localstripe's fake of it): the card Element and a SetupIntent collect the card,
// the server attaches it and confirms the PaymentIntent; only when the bank asks for 3-D Secure does the browser
// call confirmCardPayment. Works the same on real Stripe.
(function () {
  "use strict";
  var root = document.getElementById("card-payment");
  if (!root || typeof Stripe === "undefined") return;
  var stripe = Stripe(root.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var button = document.getElementById("pay-button");
  var errors = document.getElementById("card-errors");
  var csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";

  function showError(message) {
    errors.textContent = message || root.dataset.msgGeneric;
    errors.hidden = false;
    button.disabled = false;
  }

  function post(url, data) {
    var body = new URLSearchParams(data || {});
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": decodeURIComponent(csrf), "Content-Type": "application/x-www-form-urlencoded" },
      body: body,
      credentials: "same-origin",
    }).then(function (response) { return response.json(); });
  }

  function handle(result) {
    if (result.status === "succeeded" && result.redirect) {
      window.location.assign(result.redirect);
    } else if (result.status === "requires_action") {
      stripe.confirmCardPayment(result.client_secret).then(function () {
        // Whatever the browser saw, the server asks Stripe for the outcome.
        return post(root.dataset.completeUrl);
      }).then(handle, function () { showError(); });
    } else if (result.status === "processing") {
      errors.textContent = result.message;
      errors.hidden = false;
      setTimeout(function () { post(root.dataset.completeUrl).then(handle, function () { showError(); }); }, 2000);
    } else {
      showError(result.message);
    }
  }

  function savedCard() {
    var chosen = root.querySelector('input[name="saved_card"]:checked');
    return chosen ? chosen.value : "";
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    errors.hidden = true;
    var saved = savedCard();
    var paymentMethod = saved
      ? Promise.resolve(saved)
      : stripe.confirmCardSetup(root.dataset.setupSecret, { payment_method: { card: card } }).then(function (r) {
          if (r.error) throw r.error;
          return r.setupIntent.payment_method;
        });
    paymentMethod
      .then(function (pm) { return post(root.dataset.confirmUrl, { payment_method: pm }); })
      .then(handle, function () { showError(); });
  });
})();
