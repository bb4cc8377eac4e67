// Copy buttons of the center card page. Without this script the buttons stay
// hidden and the id and card text are selected whole with one tap. With it, a
// button[data-salin] copies the text of the element it names: through the
// clipboard API where the page is a secure context, else by selecting the
// text and the browser's copy command (plain http on the local network).
(function () {
  "use strict";
  document.querySelectorAll("button[data-salin]").forEach(function (button) {
    var source = document.getElementById(button.dataset.salin);
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.value !== undefined ? source.value : source.textContent;
      var done = function () {
        button.textContent = button.dataset.tersalin;
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () {});
        return;
      }
      if (source.select) {
        source.select();
      } else {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
      try {
        if (document.execCommand("copy")) {
          done();
        }
      } catch (e) {}
    });
  });
})();
