// Staff pages: live figures on the overview, keyboard shortcuts for review, small helpers.
// No framework; every page works without this script, it only makes them faster to use.
"use strict";

(function () {
  const lang = document.documentElement.lang || "en";
  const integer = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  // --- live figures: poll a small cached JSON endpoint every few seconds -------------------
  function startLive(root) {
    const url = root.dataset.liveUrl;
    const every = Math.max(2, Number(root.dataset.poll || 5)) * 1000;
    const status = document.querySelector("[data-live-updated]");
    let timer = null;

    function show(data) {
      document.querySelectorAll("[data-live]").forEach((el) => {
        const value = data[el.dataset.live];
        if (value === undefined) return;
        const format = el.dataset.format === "percent" || el.dataset.format === "decimal" ? decimal : integer;
        const text = value === null ? "–" : format.format(value);
        if (el.textContent !== text) el.textContent = text;
      });
      document.querySelectorAll("[data-live-progress]").forEach((el) => {
        const value = data[el.dataset.liveProgress];
        if (typeof value === "number") el.value = Math.min(100, value);
      });
      if (status && data.updated) {
        status.textContent = status.dataset.template.replace("{time}", data.updated);
        status.classList.remove("stale");
      }
    }

    async function poll() {
      try {
        const resp = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (resp.status === 401) { window.location.reload(); return; } // signed out: go to sign-in
        if (!resp.ok) throw new Error(String(resp.status));
        show(await resp.json());
      } catch (err) {
        if (status) { status.textContent = status.dataset.stale; status.classList.add("stale"); }
      }
    }

    function schedule() {
      clearInterval(timer);
      // A hidden tab does not poll: no load on the server for nobody watching.
      if (!document.hidden) timer = setInterval(poll, every);
    }
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); schedule(); });
    schedule();
  }

  // --- review shortcuts ------------------------------------------------------------------
  // In the name field (focused on the name-check queue): Enter confirms, typing corrects,
  // 1-3 take a suggestion, 0 marks "no name given", ArrowUp plays again, ArrowDown skips.
  // Names hold no digits, so the digits are free for this. Outside the field also:
  // a accept, e edit name, r reject, d duplicate, j/k next/previous, p play or pause.
  function startReview(root) {
    let busy = false;
    const audio = root.querySelector("audio[data-key='audio']");
    const find = (key) => document.querySelector(`[data-key='${key}']`);
    const name = find("name");
    const picked = document.querySelector("[data-picked]");

    document.querySelectorAll("form").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (busy) { event.preventDefault(); return; } // one decision per page: no double posts
        busy = true;
      });
    });

    function replay() {
      if (!audio) return;
      audio.currentTime = 0;
      audio.play().catch(() => {});
    }

    function suggest(n) {
      const button = find(`suggest-${n}`);
      if (!button || !name) return false;
      name.value = button.dataset.suggestion;
      if (picked) picked.value = String(n);
      name.focus();
      return true;
    }

    document.querySelectorAll("[data-suggestion]").forEach((button) => {
      button.addEventListener("click", () => suggest(button.dataset.key.slice("suggest-".length)));
    });
    if (name && picked) name.addEventListener("input", () => { picked.value = ""; });

    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || busy) return;
      const click = (key) => {
        const el = find(key);
        if (el) { event.preventDefault(); el.click(); }
      };
      // Keys that work everywhere on the page, the name field included.
      if (/^[1-9]$/.test(event.key) && (event.target === name || !event.target.matches("input, textarea, select"))) {
        if (suggest(event.key)) event.preventDefault();
        else if (event.target === name) event.preventDefault(); // no digits in a name
        return;
      }
      if (event.key === "0" && (event.target === name || !event.target.matches("input, textarea, select"))) {
        click("no-name");
        return;
      }
      if (event.key === "ArrowUp" && !event.target.matches("textarea, select")) {
        event.preventDefault(); replay(); return;
      }
      if (event.key === "ArrowDown" && !event.target.matches("textarea, select")) {
        click("skip"); return;
      }
      const target = event.target;
      if (target.matches("input, textarea, select, [contenteditable]")) {
        if (event.key === "Escape") target.blur();
        return; // typing a name: letters are letters
      }
      switch (event.key) {
        case "a": click("accept"); break;
        case "d": click("duplicate"); break;
        case "j": click("next"); break;
        case "k": click("prev"); break;
        case "e": {
          if (name) { event.preventDefault(); name.focus(); name.select(); }
          break;
        }
        case "r": {
          const first = find("reject");
          if (first) { event.preventDefault(); first.focus(); }
          break;
        }
        case "p": {
          if (audio) { event.preventDefault(); if (audio.paused) audio.play(); else audio.pause(); }
          break;
        }
      }
    });

    // On the name-check queue the name field has the focus, its text selected: Enter confirms,
    // typing replaces it.
    if (name && root.hasAttribute("data-focus-name")) { name.focus(); name.select(); }
    // Play the recording at once; browsers may refuse before any interaction, that is fine.
    if (audio) audio.play().catch(() => {});
  }

  // --- confirmations and small helpers ----------------------------------------------------
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // A button that changes something at the carrier is pressed once (the server also
  // configures a number once however often it is asked).
  document.querySelectorAll("button[data-once]").forEach((button) => {
    const form = button.form;
    if (form) form.addEventListener("submit", () => { setTimeout(() => { button.disabled = true; }, 0); });
  });
  document.querySelectorAll("[data-select-on-focus]").forEach((el) => {
    el.addEventListener("focus", () => el.select());
  });

  // --- campaign form: the postcode step follows the rule until the admin sets it ----------
  const rule = document.querySelector("[data-rule-select]");
  if (rule) {
    const postcode = document.querySelector("[data-postcode-step]");
    let touched = false;
    if (postcode) postcode.addEventListener("change", () => { touched = true; });
    const showCustom = () => {
      document.querySelectorAll("[data-custom-rule]").forEach((el) => { el.hidden = rule.value !== "custom"; });
    };
    rule.addEventListener("change", () => {
      const option = rule.selectedOptions[0];
      if (postcode && !touched && option) postcode.checked = option.dataset.regions === "1";
      showCustom();
    });
    showCustom();
  }

  const live = document.querySelector("[data-live-url]");
  if (live) startLive(live);
  const review = document.querySelector("[data-review]");
  if (review) startReview(review);
})();
