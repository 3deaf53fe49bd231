// The feedback page: one comparison at a time; a click is POSTed once, then the next item shows.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  // One random id per browser, so the server can refuse a second answer to the same item.
  function sessionId() {
    let id = null;
    try { id = localStorage.getItem("rmbench-session"); } catch (e) { /* storage may be off */ }
    if (!id) {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      try { localStorage.setItem("rmbench-session", id); } catch (e) { /* fine: per page load */ }
    }
    return id;
  }

  const session = sessionId();
  let items = [];
  let index = 0;

  function setStatus(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  function show() {
    if (index >= items.length) {
      $("item").hidden = true;
      $("done").hidden = false;
      $("progress").textContent = `${items.length} of ${items.length} answered`;
      return;
    }
    const item = items[index];
    $("prompt").textContent = item.prompt;          // textContent: stories are text, never HTML
    for (const s of item.stories) { $("text-" + s.side).textContent = s.text; }
    $("progress").textContent = `Comparison ${index + 1} of ${items.length}`;
    $("item").hidden = false;
    $("item").dataset.itemId = item.item_id;
    for (const b of document.querySelectorAll("button[data-choice]")) { b.disabled = false; }
  }

  async function choose(choice) {
    const buttons = document.querySelectorAll("button[data-choice]");
    for (const b of buttons) { b.disabled = true; }  // one click per item from this page
    const itemId = items[index].item_id;
    try {
      const res = await fetch("api/click", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ session: session, item_id: itemId, choice: choice }),
      });
      if (res.status === 201) {
        setStatus("Saved. Thank you!", false);
      } else if (res.status === 409) {
        setStatus("You already answered this one; moving on.", false);
      } else {
        const body = await res.json().catch(() => ({}));
        setStatus("Not saved: " + (body.error || res.status), true);
        for (const b of buttons) { b.disabled = false; }
        return;
      }
      index += 1;
      show();
    } catch (e) {
      setStatus("Not saved (server unreachable?): " + e, true);
      for (const b of buttons) { b.disabled = false; }
    }
  }

  for (const b of document.querySelectorAll("button[data-choice]")) {
    b.addEventListener("click", () => choose(b.dataset.choice));
  }
  fetch("items.json")
    .then((r) => r.json())
    .then((data) => { items = data.items; show(); })
    .catch((e) => setStatus("Could not load the comparisons: " + e, true));
})();
