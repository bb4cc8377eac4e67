// Share buttons of the market pages. Without this script "Bagikan" is a
// wa.me link; with it, phones that have a share sheet (navigator.share) use
// it, and a "Salin tautan" button is added where the browser may write the
// clipboard (a secure context).
(function () {
  "use strict";
  document.querySelectorAll("a[data-share-url]").forEach(function (link) {
    if (navigator.share) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        navigator
          .share({
            title: link.dataset.shareTitle,
            text: link.dataset.shareText,
            url: link.dataset.shareUrl,
          })
          .catch(function () {});
      });
    }
    if (navigator.clipboard && window.isSecureContext && link.dataset.copy) {
      var copy = document.createElement("button");
      copy.type = "button";
      copy.textContent = link.dataset.copy;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(link.dataset.shareUrl).then(function () {
          copy.textContent = link.dataset.copied;
        }, function () {});
      });
      link.after(copy);
    }
  });
})();
