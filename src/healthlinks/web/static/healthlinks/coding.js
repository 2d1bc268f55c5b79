// Coding in the browser: select a passage of the transcript, pick a code, save. Offsets are counted in
// Unicode code points of the stored text (as REFI-QDA does): every .piece carries its start offset, so the
// browser's own handling of line endings never shifts a segment.
(function () {
  "use strict";
  function codepoints(s) { return Array.from(s).length; }

  function pieceEnd(piece) { return Number(piece.dataset.start) + codepoints(piece.textContent); }

  function nextPiece(node, root) {
    while (node && node !== root) {
      if (node.nodeType === 1 && node.classList.contains("piece")) return node;
      if (node.nodeType === 1) {
        var inner = node.querySelector && node.querySelector(".piece");
        if (inner) return inner;
      }
      node = node.nextSibling;
    }
    return null;
  }

  function offsetOf(node, offset, root) {
    if (node.nodeType === 3) {
      var piece = node.parentElement.closest(".piece");
      if (!piece || !root.contains(piece)) return null;
      return Number(piece.dataset.start) + codepoints(node.data.slice(0, offset));
    }
    var child = node.childNodes[offset];
    var found = child ? nextPiece(child, root) : null;
    if (found) return Number(found.dataset.start);
    var pieces = node.querySelectorAll ? node.querySelectorAll(".piece") : [];
    if (pieces.length) return pieceEnd(pieces[pieces.length - 1]);
    var own = node.nodeType === 1 ? node.closest(".piece") : null;
    return own ? pieceEnd(own) : Number(root.dataset.length);
  }

  function init() {
    document.querySelectorAll(".swatch[data-colour]").forEach(function (el) {
      if (el.dataset.colour) el.style.backgroundColor = el.dataset.colour;
    });
    var root = document.getElementById("transcript");
    var form = document.getElementById("code-form");
    if (!root || !form) return;
    root.querySelectorAll(".piece[data-colour]").forEach(function (el) {
      if (el.dataset.colour) el.style.backgroundColor = el.dataset.colour + "55";
    });
    var start = form.querySelector("[name=start]");
    var end = form.querySelector("[name=end]");
    var preview = document.getElementById("selection-preview");
    var button = form.querySelector("button[type=submit]");
    var status = document.getElementById("code-status");

    function capture() {
      var sel = window.getSelection();
      if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
      var range = sel.getRangeAt(0);
      if (!root.contains(range.commonAncestorContainer)) return;
      var a = offsetOf(range.startContainer, range.startOffset, root);
      var b = offsetOf(range.endContainer, range.endOffset, root);
      if (a === null || b === null || b <= a) return;
      start.value = a;
      end.value = b;
      var text = sel.toString();
      preview.textContent = "“" + (text.length > 200 ? text.slice(0, 200) + "…" : text) + "” (" + a + "–" + b + ")";
      button.disabled = false;
    }
    root.addEventListener("mouseup", capture);
    root.addEventListener("keyup", capture);
    root.addEventListener("touchend", function () { window.setTimeout(capture, 50); });
    document.addEventListener("selectionchange", function () {
      var sel = window.getSelection();
      if (sel && !sel.isCollapsed && root.contains(sel.anchorNode)) capture();
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!start.value || !end.value) { status.textContent = form.dataset.needSelection; return; }
      button.disabled = true;
      var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRFToken": token, "X-Requested-With": "fetch" },
        credentials: "same-origin",
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) {
          status.textContent = result.data.error || "Not saved.";
          button.disabled = false;
          return;
        }
        status.textContent = form.dataset.saved + " " + result.data.code;
        var count = document.querySelector("[data-code-count='" + form.querySelector("[name=code]").value + "']");
        if (count) count.textContent = result.data.count;
        window.setTimeout(function () { window.location.reload(); }, 300);
      }).catch(function (err) {
        status.textContent = "Not saved: " + err.message;
        button.disabled = false;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", init);
})();
