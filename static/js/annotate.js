// The annotation screen's keyboard and selection handling. Everything else is htmx.
"use strict";

(function () {
  const screen = document.getElementById("screen");
  if (!screen) return;
  const editable = screen.dataset.editable === "true";
  const textBox = () => document.getElementById("doc-text");

  // The text's characters are the text nodes of #doc-text, less the label tags drawn
  // at each span's start (rendering.py's `<span class="tag">name</span>`, not
  // selectable): those are skipped.
  function textNodes(box) {
    return document.createTreeWalker(box, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement.classList.contains("tag") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
  }

  // Where the text drawn starts in the whole text (a long text is drawn a part at a
  // time): the server counts offsets in the whole text.
  const offsetOfPart = () => Number(textBox()?.dataset.offset || 0);

  // The document's text as the server has it, as a string and as code points;
  // computed once per drawn text. A change swaps blocks of #doc-text (or all of it),
  // so what is computed from the text is forgotten after every swap.
  let plainTexts = new WeakMap();
  function plain(box) {
    if (!plainTexts.has(box)) {
      const parts = [];
      const walker = textNodes(box);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) parts.push(node.data);
      const text = parts.join("");
      plainTexts.set(box, { text, points: Array.from(text) });
    }
    return plainTexts.get(box);
  }
  const plainText = (box) => plain(box).text;

  // Offsets: the browser counts UTF-16 code units, the server Unicode code points.
  // This is the one place that converts: the code points of the text before the
  // DOM point (node, offset), less the tags before it. (Native range.toString() and a
  // binary search in the tags: a walk over the text's nodes costs milliseconds on
  // every selection change once a text has hundreds of spans.)
  const points = (text) => (/[\uD800-\uDFFF]/.test(text) ? Array.from(text).length : text.length);
  let tagTables = new WeakMap();
  function forgetText() { plainTexts = new WeakMap(); tagTables = new WeakMap(); }
  document.body.addEventListener("htmx:afterSwap", forgetText);
  document.body.addEventListener("htmx:oobAfterSwap", forgetText);
  function tagTable(box) {
    if (!tagTables.has(box)) {
      const tags = Array.from(box.querySelectorAll(".tag"));
      const upTo = [0]; // upTo[i]: code points of the first i tags' names
      for (const tag of tags) upTo.push(upTo[upTo.length - 1] + points(tag.textContent));
      tagTables.set(box, { tags, upTo });
    }
    return tagTables.get(box);
  }
  function codePointOffset(container, node, offset) {
    const inTag = (node.nodeType === Node.TEXT_NODE ? node.parentElement : node).closest(".tag");
    if (inTag) { // a point inside a tag counts as the start of its span: before the tag
      node = inTag.parentNode;
      offset = Array.prototype.indexOf.call(node.childNodes, inTag);
    }
    const before = document.createRange();
    before.setStart(container, 0);
    before.setEnd(node, offset);
    const { tags, upTo } = tagTable(container);
    let low = 0;
    let high = tags.length; // tags in document order: those before the point come first
    while (low < high) {
      const middle = (low + high) >> 1;
      if (before.comparePoint(tags[middle], 0) <= 0) low = middle + 1;
      else high = middle;
    }
    return points(before.toString()) - upTo[low];
  }

  // The current selection inside the text as {start, end, text}, in code points of the
  // whole text, or null.
  function selectedRange() {
    const box = textBox();
    const selection = window.getSelection();
    if (!box || !selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) return null;
    let start = codePointOffset(box, range.startContainer, range.startOffset);
    let end = codePointOffset(box, range.endContainer, range.endOffset);
    const chars = plain(box).points;
    // Leave out surrounding spaces: a double-click takes the trailing one.
    while (start < end && /\s/.test(chars[start])) start++;
    while (end > start && /\s/.test(chars[end - 1])) end--;
    if (start >= end) return null;
    const text = chars.slice(start, end).join("");
    return { start: start + offsetOfPart(), end: end + offsetOfPart(), text };
  }

  // Scroll every scrolling box around the range, then the window, so the range sits
  // mid-height in view. (scrollIntoView on the range's element would centre that
  // element: for text outside any span, the whole text box, far from the match.)
  function scrollRangeIntoView(range) {
    for (let box = range.commonAncestorContainer.parentElement; box; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowY;
      if (box.scrollHeight > box.clientHeight && (overflow === "auto" || overflow === "scroll")) {
        const inner = range.getBoundingClientRect();
        const outer = box.getBoundingClientRect();
        box.scrollTop += inner.top - outer.top - (box.clientHeight - inner.height) / 2;
      }
    }
    const rect = range.getBoundingClientRect();
    window.scrollBy({ top: rect.top - (window.innerHeight - rect.height) / 2, behavior: "instant" });
  }

  // Select code points [start, end) of the whole text, e.g. a find match, and show it.
  function selectCodePoints(start, end) {
    const box = textBox();
    start -= offsetOfPart();
    end -= offsetOfPart();
    const walker = textNodes(box);
    const range = document.createRange();
    let seen = 0;
    let startSet = false;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const chars = Array.from(node.data);
      const units = (n) => chars.slice(0, n).join("").length;
      if (!startSet && start < seen + chars.length) {
        range.setStart(node, units(start - seen));
        startSet = true;
      }
      if (startSet && end <= seen + chars.length) {
        range.setEnd(node, units(end - seen));
        break;
      }
      seen += chars.length;
    }
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    scrollRangeIntoView(range);
  }

  function createSpan(labelId) {
    const picked = selectedRange();
    if (!picked || !editable) return false;
    const form = document.getElementById("span-form");
    form.elements.start.value = picked.start;
    form.elements.end.value = picked.end;
    form.elements.text.value = picked.text;
    form.elements.label.value = labelId;
    form.requestSubmit();
    window.getSelection().removeAllRanges();
    return true;
  }

  // Find: Enter selects the next occurrence of the typed text, scrolled into view;
  // Enter again (the focus is on the page by then, so label keys label the match)
  // goes on to the next one while the match is still the selection.
  const find = document.getElementById("find");
  let findFrom = 0; // in UTF-16 code units of the lower-cased text
  let lastMatch = null;
  function findNext() {
    const needle = find.value.toLowerCase();
    if (!needle) return;
    const haystack = plainText(textBox()).toLowerCase();
    let at = haystack.indexOf(needle, findFrom);
    if (at < 0) at = haystack.indexOf(needle);
    if (at < 0) { flash(`“${find.value}” is not in the text.`); return; }
    findFrom = at + needle.length;
    const start = Array.from(haystack.slice(0, at)).length + offsetOfPart();
    lastMatch = { start, end: start + Array.from(needle).length };
    selectCodePoints(lastMatch.start, lastMatch.end);
  }
  function matchShown() {
    const picked = selectedRange();
    return lastMatch && picked && picked.start === lastMatch.start && picked.end === lastMatch.end;
  }
  if (find) {
    // Selecting text in the page takes the focus from the box, so the match is
    // selected on Enter, once typing is over.
    find.addEventListener("input", () => { findFrom = 0; lastMatch = null; });
    find.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); find.blur(); findNext(); }
      if (event.key === "Escape") find.blur();
    });
  }

  function flash(message) {
    const line = document.getElementById("flash");
    if (line) { line.className = "flash notice"; line.textContent = message; }
  }

  // Every change carries the assignment version this screen last saw, so the server
  // can tell a change from an out-of-date tab (it answers with the fresh fragments).
  document.body.addEventListener("versionChanged", (event) => {
    screen.dataset.version = event.detail.version;
    // The fingerprint of the text as drawn once the answer's blocks are swapped in.
    if (event.detail.drawn && textBox()) textBox().dataset.drawn = event.detail.drawn;
  });
  document.body.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.verb !== "post") return;
    event.detail.parameters.version = screen.dataset.version;
    // The part shown, and what it shows: the answer redraws only what changed.
    if (textBox()?.dataset.part) {
      event.detail.parameters.part = textBox().dataset.part;
      event.detail.parameters.drawn = textBox().dataset.drawn;
    }
  });

  // Evidence. While text is selected, #screen has the class "selecting": the panels
  // show the selection and, on each stance and source row, a "use the selection as
  // evidence" box. A change sent from a row whose box is ticked carries the selection
  // as its evidence; once that change is saved the selection is cleared, so the next
  // stance or rating gets none unless a new selection is made. A cited source's
  // mention stays its evidence unless its box is ticked: ticked for you only when the
  // selection overlaps the mention.
  function short(text, limit = 80) {
    const flat = text.replace(/\s+/g, " ");
    return flat.length <= limit ? flat : `${flat.slice(0, limit / 2)} … ${flat.slice(-limit / 2)}`;
  }
  function tickedByDefault(row, picked) {
    if (!row.dataset.mentionStart) return true;
    return picked.start < Number(row.dataset.mentionEnd) && Number(row.dataset.mentionStart) < picked.end;
  }
  function showSelection(picked = editable ? selectedRange() : null) {
    screen.classList.toggle("selecting", Boolean(picked));
    if (!picked) return;
    const key = `${picked.start}-${picked.end}`;
    document.querySelectorAll(".selection-preview").forEach((quote) => { quote.textContent = short(picked.text); });
    // Each box is ticked once per selection (new boxes after a swap too); one ticked
    // or unticked by hand then stays so.
    document.querySelectorAll(".choice-row .use-selection-box").forEach((box) => {
      if (box.dataset.tickedFor === key) return;
      box.dataset.tickedFor = key;
      box.checked = tickedByDefault(box.closest(".choice-row"), picked);
    });
  }
  document.body.addEventListener("htmx:afterSettle", () => showSelection());

  // The request that carries the selection as evidence, to clear it once saved.
  let evidenceRequest = null;
  document.body.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt.closest && event.detail.elt.closest(".takes-evidence");
    const picked = selectedRange();
    if (!form || !picked) return;
    const row = form.closest(".choice-row");
    if (row && !row.querySelector(".use-selection-box")?.checked) return;
    event.detail.parameters.evidence_start = picked.start;
    event.detail.parameters.evidence_end = picked.end;
    evidenceRequest = { config: event.detail, picked };
    if (form.classList.contains("add-source") && !event.detail.parameters.source) {
      event.detail.parameters.source = picked.text;
    }
  });
  document.body.addEventListener("htmx:afterRequest", (event) => {
    // Known by its request config: htmx names the nearest element still in the page
    // as the event's elt once the form that sent it is swapped out.
    if (!evidenceRequest || event.detail.requestConfig !== evidenceRequest.config) return;
    const sent = evidenceRequest.picked;
    evidenceRequest = null;
    const now = selectedRange();
    // Saved: the selection was that change's evidence, and is no one else's.
    if (event.detail.successful && now && now.start === sent.start && now.end === sent.end) {
      window.getSelection().removeAllRanges();
    }
  });

  // A selection also fills the "another source" box, so a source can be added by
  // selecting it.
  document.addEventListener("selectionchange", () => {
    const picked = editable ? selectedRange() : null;
    showSelection(picked);
    const box = document.getElementById("new-source");
    if (box && picked && picked.text.length <= 120 && document.activeElement !== box) box.value = picked.text;
  });

  // An opened link panel takes the focus, so its choices are one key away.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "link-panel") {
      document.querySelector("#link-panel button")?.focus();
    }
  });

  // The span row last clicked or focused: label keys and buttons then relabel it.
  let chosenRow = null;
  function relabel(labelId) {
    if (!chosenRow || !editable || !document.body.contains(chosenRow)) return false;
    htmx.ajax("POST", chosenRow.dataset.relabel, {
      source: chosenRow, target: "#doc-text", swap: "outerHTML",
      values: { label: labelId, seen_label: chosenRow.dataset.label },
    });
    chosenRow = null;
    return true;
  }
  document.addEventListener("focusin", (event) => {
    const row = event.target.closest && event.target.closest(".span-row");
    if (row) chosenRow = row;
    else if (!event.target.closest("#entity-labels")) chosenRow = null;
  });

  document.getElementById("entity-labels").addEventListener("click", (event) => {
    const button = event.target.closest("[data-label]");
    if (button && !createSpan(button.dataset.label)) relabel(button.dataset.label);
  });

  // A span row's buttons: link opens the entity panel, × deletes (unless another tab
  // relabelled the span meanwhile: seen_label).
  function linkPanel(row) {
    htmx.ajax("GET", row.dataset.link, { source: row, target: "#link-panel", swap: "outerHTML" });
  }
  function deleteSpan(row) {
    htmx.ajax("POST", row.dataset.delete, {
      source: row, target: "#doc-text", swap: "outerHTML", values: { seen_label: row.dataset.label },
    });
  }
  document.addEventListener("click", (event) => {
    const row = event.target.closest && event.target.closest(".span-row");
    if (!row || !editable) return;
    if (event.target.closest(".link-button")) linkPanel(row);
    else if (event.target.closest(".delete")) deleteSpan(row);
  });

  // Clicking a span in the text takes you to its row in the list.
  document.addEventListener("click", (event) => {
    const mark = event.target.closest && event.target.closest("#doc-text mark[data-span]");
    if (!mark || !window.getSelection().isCollapsed) return;
    const row = document.querySelector(`.span-row[data-span="${mark.dataset.span}"]`);
    if (row) { row.focus(); row.scrollIntoView({ block: "nearest" }); }
  });

  const help = document.getElementById("help");
  document.getElementById("help-button").addEventListener("click", () => help.showModal());

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const key = event.key;
    if (event.shiftKey && (key === "ArrowRight" || key === "ArrowLeft") && selectedRange()) {
      event.preventDefault();
      window.getSelection().modify("extend", key === "ArrowRight" ? "forward" : "backward", "word");
      return;
    }
    if (key === "Enter" && event.shiftKey) { event.preventDefault(); document.getElementById("submit-button")?.click(); return; }
    if (key === "K" && event.shiftKey) { event.preventDefault(); document.getElementById("skip-button")?.click(); return; }
    if (key === "N" && event.shiftKey) { event.preventDefault(); document.getElementById("next-link")?.click(); return; }
    if (key === "Escape" && !help.open) { window.getSelection().removeAllRanges(); return; }
    if (key === "?") { event.preventDefault(); help.open ? help.close() : help.showModal(); return; }
    if (key === "/") { event.preventDefault(); find?.focus(); find?.select(); return; }
    if (key === "Enter" && find?.value && matchShown()) { event.preventDefault(); findNext(); return; }
    const row = event.target.closest && event.target.closest(".choice-row, .span-row");
    const linking = event.target.closest && event.target.closest("#link-panel");
    if (linking && /^[1-9]$/.test(key)) {
      linking.querySelector(`button[data-key="${key}"]`)?.click();
      event.preventDefault();
      return;
    }
    // Keys on a span row call htmx directly: a row swapped in a moment ago may not
    // have its buttons wired up by htmx yet.
    if (row && row.classList.contains("span-row") && key === "Enter" && editable) {
      event.preventDefault();
      linkPanel(row);
      return;
    }
    if (row && row.classList.contains("span-row") && (key === "Delete" || key === "Backspace") && editable) {
      event.preventDefault();
      deleteSpan(row);
      return;
    }
    if (row && row.classList.contains("span-row")) {
      const button = document.querySelector(`#entity-labels [data-key="${CSS.escape(key.toLowerCase())}"]`);
      if (button && relabel(button.dataset.label)) { event.preventDefault(); return; }
    }
    if (row && row.classList.contains("choice-row")) {
      const choice = row.querySelector(`button[data-key="${CSS.escape(key)}"]`);
      if (choice) { event.preventDefault(); choice.click(); return; }
    }
    if (selectedRange()) {
      const button = document.querySelector(`#entity-labels [data-key="${CSS.escape(key.toLowerCase())}"]`);
      if (button && createSpan(button.dataset.label)) event.preventDefault();
      return;
    }
    if (key === "u") { event.preventDefault(); document.getElementById("undo-button")?.click(); }
    if (key === "y") { event.preventDefault(); document.querySelector(".suggestion-accept")?.click(); }
    if (key === "x") { event.preventDefault(); document.querySelector(".suggestion-dismiss")?.click(); }
    if (key === "Y") { event.preventDefault(); document.getElementById("accept-all")?.click(); }
    if (key === "g") { event.preventDefault(); const g = document.getElementById("guidelines"); g.open = !g.open; }
    if (key === "[" || key === "]") {
      const link = document.querySelector(key === "[" ? ".pager-previous" : ".pager-next");
      if (link) { event.preventDefault(); link.click(); }
    }
  });

  // Exposed for the browser tests of the offset conversion.
  window.newsapp = { codePointOffset, selectCodePoints, selectedRange };
})();
