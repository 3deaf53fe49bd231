// The rater page: sign in with a name or token, then one comparison at a time; each answer
// is POSTed once (the server refuses a second answer of one rater to one item), then the next shows.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const store = {  // localStorage may be off (private windows): then nothing is remembered
    get(k) { try { return localStorage.getItem(k); } catch (e) { return null; } },
    set(k, v) { try { localStorage.setItem(k, v); } catch (e) { /* fine: per page load */ } },
    del(k) { try { localStorage.removeItem(k); } catch (e) { /* fine */ } },
  };
  // One random id per browser: beside the rater's name it tells two browsers apart in the admin view.
  function sessionId() {
    let id = store.get("rmbench-session");
    if (!id) {
      const bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      store.set("rmbench-session", id);
    }
    return id;
  }

  const session = sessionId();
  let rater = null;
  let items = [];       // every item of the page, in page order
  let answered = new Set();
  let queue = [];       // the items this rater has not answered yet
  let busy = false;     // one answer in flight at a time: a double key press is one answer

  function setStatus(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  async function postJSON(path, body) {
    const res = await fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => ({})) };
  }

  function showSignin() {
    $("item").hidden = true;
    $("whoami").hidden = true;
    $("signin").hidden = false;
    // Instructions are shown once, before the first item; "not you?" brings back only the form.
    $("instructions").hidden = store.get("rmbench-instructions-seen") === "1";
    $("progress").textContent = "";
    $("rater-name").focus();
  }

  async function signIn(name) {
    let r;
    try {
      r = await postJSON("api/rater", { rater: name });
    } catch (e) {
      setStatus("Not signed in (server unreachable?): " + e, true);
      return;
    }
    if (r.status !== 200) {  // a name the server refuses: say why, and ask again
      setStatus("Not signed in: " + (r.body.error || r.status), true);
      store.del("rmbench-rater");
      showSignin();
      return;
    }
    rater = r.body.rater;
    answered = new Set(r.body.answered);
    store.set("rmbench-rater", rater);
    store.set("rmbench-instructions-seen", "1");
    queue = items.filter((it) => !answered.has(it.item_id));
    $("rater-name").blur();  // keys now answer comparisons, not type into the hidden form
    $("signin").hidden = true;
    $("instructions").hidden = true;
    $("rater-shown").textContent = rater;
    $("whoami").hidden = false;
    setStatus(answered.size ? `Welcome back: ${answered.size} already answered.` : "", false);
    show();
  }

  function show() {
    if (!queue.length) {
      $("item").hidden = true;
      $("done").hidden = false;
      $("progress").textContent = `${items.length} of ${items.length} answered`;
      return;
    }
    const item = queue[0];
    $("prompt").textContent = item.prompt;          // textContent: stories are text, never HTML
    for (const s of item.stories) { $("text-" + s.side).textContent = s.text; }
    $("progress").textContent = `Comparison ${items.length - queue.length + 1} of ${items.length}`;
    $("done").hidden = true;
    $("item").hidden = false;
    $("item").dataset.itemId = item.item_id;
    for (const b of document.querySelectorAll("button[data-choice]")) { b.disabled = false; }
  }

  async function choose(choice) {
    if (busy || !rater || !queue.length) { return; }
    busy = true;
    const buttons = document.querySelectorAll("button[data-choice]");
    for (const b of buttons) { b.disabled = true; }
    const itemId = queue[0].item_id;
    try {
      const r = await postJSON("api/click", { rater: rater, session: session, item_id: itemId, choice: choice });
      if (r.status === 201) {
        setStatus(choice === "skip" ? "Skipped." : "Saved. Thank you!", false);
      } else if (r.status === 409) {
        setStatus("You already answered this one; moving on.", false);
      } else {
        setStatus("Not saved: " + (r.body.error || r.status), true);
        for (const b of buttons) { b.disabled = false; }
        return;
      }
      answered.add(itemId);
      queue.shift();
      show();
    } catch (e) {
      setStatus("Not saved (server unreachable?): " + e, true);
      for (const b of buttons) { b.disabled = false; }
    } finally {
      busy = false;
    }
  }

  const keymap = {};
  for (const b of document.querySelectorAll("button[data-choice]")) {
    b.addEventListener("click", () => choose(b.dataset.choice));
    for (const k of b.dataset.keys.split(" ")) { keymap[k] = b.dataset.choice; }
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || $("item").hidden) { return; }
    if (e.target instanceof HTMLInputElement && !$("signin").hidden) { return; }  // typing a name is not an answer
    const choice = keymap[e.key.toLowerCase()];
    if (choice) { e.preventDefault(); choose(choice); }
  });
  $("signin").addEventListener("submit", (e) => { e.preventDefault(); signIn($("rater-name").value); });
  $("switch-rater").addEventListener("click", () => {
    rater = null;
    store.del("rmbench-rater");
    setStatus("", false);
    showSignin();
  });

  fetch("items.json")
    .then((r) => r.json())
    .then((data) => {
      items = data.items;
      const known = store.get("rmbench-rater");
      if (known) { signIn(known); } else { showSignin(); }
    })
    .catch((e) => setStatus("Could not load the comparisons: " + e, true));
})();
