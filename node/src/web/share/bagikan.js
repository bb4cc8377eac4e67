// Share buttons of the market pages. Without this script "Bagikan" is a
// wa.me link; with it, phones that have a share sheet (navigator.share) use
// it, and "Salin tautan" appears where the browser may write the clipboard.
(function () {
  "use strict";
  var shares = document.querySelectorAll("a[data-share-url]");
  if (navigator.share) {
    shares.forEach(function (link) {
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
    });
  }
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.dataset.copy).then(function () {
          button.textContent = button.dataset.copied;
        }, function () {});
      });
    });
  }
})();
