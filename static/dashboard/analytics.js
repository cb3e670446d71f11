// Loads the Google tag for the id in data-tag-id. Included only for visitors who accepted analytics cookies;
// a static file (no inline script) so the strict Content-Security-Policy stays as it is.
(function () {
  "use strict";
  var me = document.getElementById("analytics-tag");
  if (!me || !me.dataset.tagId) return;
  var id = me.dataset.tagId;
  window.dataLayer = window.dataLayer || [];
  function gtag() { window.dataLayer.push(arguments); }
  window.gtag = gtag;
  gtag("js", new Date());
  gtag("config", id, { anonymize_ip: true });
  var script = document.createElement("script");
  script.async = true;
  script.src = me.dataset.src + "?id=" + encodeURIComponent(id);
  document.head.appendChild(script);
})();
