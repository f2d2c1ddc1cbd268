// GridWatch console: live refresh (server-sent events), SLA countdowns, queue keyboard. No libraries.
"use strict";

(function () {
  const body = document.body;
  const main = document.querySelector("main[data-live]");
  const page = main ? main.dataset.live : null;
  let selected = null; // code of the selected queue row

  // ---- SLA chips: count down every second, turn amber and red -------------------------------
  function pad(n) { return String(n).padStart(2, "0"); }
  function span(ms) {
    const sign = ms < 0 ? "−" : "";
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const clock = Math.floor(s / 3600) + ":" + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
    return sign + (d ? body.dataset.days.replace("{n}", d) + " " + clock : clock);
  }
  function tick() {
    const now = Date.now();
    for (const chip of document.querySelectorAll("[data-sla]")) {
      const due = Date.parse(chip.dataset.due), amber = Date.parse(chip.dataset.amber);
      const colour = now >= due ? "red" : now >= amber ? "amber" : "ok";
      chip.classList.remove("sla-ok", "sla-amber", "sla-red");
      chip.classList.add("sla-" + colour);
      chip.dataset.colour = colour;
      const left = chip.querySelector(".left");
      if (left) left.textContent = span(due - now);
    }
  }

  // ---- toast ---------------------------------------------------------------------------------
  let toastTimer = null;
  function toast(text, bad) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("bad", !!bad);
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, bad ? 8000 : 3500);
  }

  // ---- live refresh: fetch this very URL again and swap the parts marked data-live-part ------
  function busy(part) {
    const active = document.activeElement;
    if (active && part.contains(active) && active.matches("input, textarea, select")) return true;
    return !!part.querySelector("form[data-dirty], details[open]");
  }
  let refreshing = false, again = false;
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      const before = new Set(Array.from(document.querySelectorAll("tr[data-code]"), function (r) { return r.dataset.code; }));
      const reply = await fetch(location.href, { headers: { "X-GW-Refresh": "1" }, credentials: "same-origin" });
      if (reply.redirected && new URL(reply.url).pathname === "/login") { location.href = reply.url; return; }
      if (!reply.ok) return;
      const fresh = new DOMParser().parseFromString(await reply.text(), "text/html");
      for (const part of document.querySelectorAll("[data-live-part][id]")) {
        const next = fresh.getElementById(part.id);
        if (next && !busy(part)) part.replaceWith(document.importNode(next, true));
      }
      for (const row of document.querySelectorAll("tr[data-code]")) {
        if (before.size && !before.has(row.dataset.code)) row.classList.add("flash");
      }
      select(selected, false);
      tick();
      badgeTitle();
    } finally {
      refreshing = false;
      if (again) { again = false; setTimeout(refresh, 50); }
    }
  }
  let pending = null;
  function soon() { clearTimeout(pending); pending = setTimeout(refresh, 150); }
  // Wall pages (dashboard, map) sum up many events: a burst of changes refreshes them at most every
  // 5 s, and a timer refreshes them every minute (deadlines pass without any event changing).
  const WALL = page === "dashboard" || page === "map";
  let lastWall = 0;
  function calm() {
    if (pending) return;
    pending = setTimeout(function () { pending = null; lastWall = Date.now(); refresh(); },
      Math.max(150, lastWall + 5000 - Date.now()));
  }

  function listen() {
    const state = document.getElementById("live-state");
    if (!state || !window.EventSource) return;
    const source = new EventSource("/live");
    source.onopen = function () { state.dataset.state = "open"; };
    source.onerror = function () { state.dataset.state = "closed"; };
    source.addEventListener("change", function (message) {
      const change = JSON.parse(message.data);
      if (WALL) calm();
      else if (page === "queue" || (page === "event" && change.code === main.dataset.code)) soon();
    });
    source.addEventListener("logout", function () { location.href = "/login"; });
  }

  // ---- queue: selection and keys j / k / Enter / a -------------------------------------------
  function rows() { return Array.from(document.querySelectorAll("tr[data-code]")); }
  function select(code, scroll) {
    let found = null;
    for (const row of rows()) {
      const on = row.dataset.code === code;
      row.classList.toggle("selected", on);
      row.setAttribute("aria-selected", on ? "true" : "false");
      if (on) found = row;
    }
    selected = found ? code : null;
    if (found && scroll) found.scrollIntoView({ block: "nearest" });
    return found;
  }
  function move(step) {
    const list = rows();
    if (!list.length) return;
    const at = list.findIndex(function (r) { return r.dataset.code === selected; });
    const next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
    select(list[next].dataset.code, true);
  }
  async function acknowledge(code) {
    const row = select(code, false);
    if (!row) return;
    if (!row.dataset.actions.split(" ").includes("acknowledge")) {
      toast(main.dataset.msgNotAllowed, true);
      return;
    }
    const form = new URLSearchParams({ csrf_token: body.dataset.csrf, action: "acknowledge" });
    const reply = await fetch("/events/" + encodeURIComponent(code) + "/actions", {
      method: "POST", body: form, credentials: "same-origin", headers: { "X-Requested-With": "fetch" },
    });
    if (reply.ok) toast(main.dataset.msgAcknowledged.replace("{code}", code), false);
    else toast(await reply.text(), true);
    soon();
  }
  function onKey(event) {
    if (page !== "queue" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, button, [contenteditable]")) return;
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
    else if (event.key === "Enter" && selected) { location.href = "/events/" + encodeURIComponent(selected); }
    else if (event.key === "a" && selected) { acknowledge(selected); event.preventDefault(); }
  }
  function onClick(event) {
    const cell = event.target.closest("svg [data-cell]");
    if (cell) { location.href = "/map/cell/" + encodeURIComponent(cell.dataset.cell); return; }
    const row = event.target.closest("tr[data-code]");
    if (!row || event.target.closest("a, button, input, select")) return;
    location.href = "/events/" + encodeURIComponent(row.dataset.code);
  }

  // ---- small things --------------------------------------------------------------------------
  function badgeTitle() {
    const badge = document.querySelector('[data-tab="new"] .badge');
    const base = document.title.replace(/^\(\d+\) /, "");
    document.title = badge ? "(" + badge.dataset.unreviewed + ") " + base : base;
  }
  function autosubmit(event) {
    const field = event.target.closest("[data-autosubmit]");
    if (!field) return;
    for (const name of (field.dataset.resets || "").split(" ").filter(Boolean)) {
      const other = field.form.elements[name];
      if (other) other.value = "";
    }
    field.form.requestSubmit();
  }
  function tidyFilters(event) {
    // the URL keeps only the filters that are set (and no default tab), so it reads like the page
    const form = event.target.closest("[data-filters]");
    if (!form) return;
    for (const field of form.elements) {
      if (field.name && (!field.value || (field.name === "tab" && field.value === "open"))) field.disabled = true;
    }
  }
  function dirty(event) {
    const form = event.target.closest("form");
    if (form && form.method === "post") form.dataset.dirty = "1";
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("click", onClick);
  document.addEventListener("change", autosubmit);
  document.addEventListener("input", dirty);
  document.addEventListener("submit", tidyFilters);
  const filters = document.querySelector("[data-filter-box]");
  const narrow = window.matchMedia("(max-width: 700px)").matches;
  if (filters && narrow && !location.search.replace(/[?&](tab|cursor)=[^&]*/g, "")) filters.open = false;
  tick();
  setInterval(tick, 1000);
  badgeTitle();
  if (page) listen();
  if (WALL) setInterval(calm, 60000);
})();
