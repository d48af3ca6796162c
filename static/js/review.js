// The adjudication screen's keyboard. Every change is an htmx form post.
"use strict";

(function () {
  const screen = document.getElementById("review-screen");
  if (!screen) return;
  const help = document.getElementById("help");
  const itemRows = () => Array.from(document.querySelectorAll("#adjudication .item-row"));
  const decisionRows = () => Array.from(document.querySelectorAll("#decisions .decision-row"));

  // Every gold change carries the gold version this screen shows, so the server can
  // tell a change made on an out-of-date screen.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const adjudication = document.getElementById("adjudication");
    if (event.detail.verb === "post" && adjudication) {
      event.detail.parameters.version = adjudication.dataset.version;
    }
  });

  // A swap replaces the rows: the focus goes back to the row it was on (found by what
  // the row is about, not by position), or to the row now in its place.
  let focused = null;
  document.addEventListener("focusin", (event) => {
    const row = event.target.closest && event.target.closest(".item-row, .decision-row");
    if (row) focused = { key: row.dataset.key, number: row.dataset.number, index: rowsLike(row).indexOf(row) };
  });
  function rowsLike(row) {
    return row.classList.contains("item-row") ? itemRows() : decisionRows();
  }
  document.body.addEventListener("htmx:afterSwap", () => {
    if (!focused || (document.activeElement && document.activeElement !== document.body)) return;
    const row = focused.key
      ? document.querySelector(`#adjudication .item-row[data-key="${CSS.escape(focused.key)}"]`) || itemRows()[focused.index]
      : document.querySelector(`#decisions .decision-row[data-number="${CSS.escape(focused.number)}"]`);
    row?.focus();
  });

  function move(rows, current, step) {
    const at = rows.indexOf(current);
    const next = rows[at < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, at + step))];
    if (next) { next.focus(); next.scrollIntoView({ block: "nearest" }); }
  }

  // Clicking a mark in the text goes to its row.
  document.addEventListener("click", (event) => {
    const mark = event.target.closest && event.target.closest("#review-text mark[data-row]");
    if (!mark || !window.getSelection().isCollapsed) return;
    const row = document.querySelector(`#adjudication .item-row[data-row="${mark.dataset.row}"]`);
    if (row) { row.focus(); row.scrollIntoView({ block: "nearest" }); }
  });

  document.getElementById("help-button").addEventListener("click", () => help.showModal());

  function takeButton(row, number) {
    return row.querySelector(`.take[data-annotator="${CSS.escape(number)}"] button`);
  }

  function onItemRow(row, key) {
    if (/^[1-9]$/.test(key)) return takeButton(row, key);
    if (key === "t" || key === "Enter") {
      return (row.dataset.default && takeButton(row, row.dataset.default)) || row.querySelector(".take button");
    }
    if (key === "x" || key === "Delete" || key === "Backspace") return row.querySelector(".remove button");
    return null;
  }

  function onDecisionRow(row, key) {
    if (key === "a") return row.querySelector("button.accept");
    if (key === "r") return row.querySelector("button.reject");
    return null;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key;
    const target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) {
      const decision = target.closest(".decision-row");
      // Enter would submit the first button, Accept: a comment is sent with a or r.
      if (decision && key === "Enter") event.preventDefault();
      if (decision && key === "Escape") decision.focus();
      return;
    }
    const itemRow = target.closest(".item-row");
    const decisionRow = target.closest(".decision-row");
    let button = null;
    if (key === "?") { event.preventDefault(); help.open ? help.close() : help.showModal(); return; }
    if (key === "N" && event.shiftKey) { event.preventDefault(); document.getElementById("next-link").click(); return; }
    if (key === "A" && event.shiftKey) { event.preventDefault(); document.getElementById("agreed-button").click(); return; }
    if (key === "j" || key === "ArrowDown" || key === "k" || key === "ArrowUp") {
      event.preventDefault();
      const step = key === "j" || key === "ArrowDown" ? 1 : -1;
      if (decisionRow) move(decisionRows(), decisionRow, step);
      else move(itemRows(), itemRow, step);
      return;
    }
    if (key === "d") { event.preventDefault(); decisionRows()[0]?.focus(); return; }
    if (decisionRow && key === "c") { event.preventDefault(); decisionRow.querySelector("input[name=comment]").focus(); return; }
    if (itemRow) button = onItemRow(itemRow, key);
    else if (decisionRow) button = onDecisionRow(decisionRow, key);
    if (button) { event.preventDefault(); send(button); }
  });

  // Keys send the button's form through htmx directly: a form swapped in a moment
  // ago may not be wired up by htmx yet, and a click would post it without htmx.
  function send(button) {
    const form = button.form;
    htmx.ajax("POST", form.getAttribute("hx-post"), {
      source: form, target: "#adjudication", swap: "outerHTML",
      values: button.name ? { [button.name]: button.value } : {},
    });
  }
})();
