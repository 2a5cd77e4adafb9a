// The public page: the count, its bar and the regions follow progress.json every few seconds.
// The page reads fine without this script; it only keeps the figures fresh.
"use strict";

(function () {
  const root = document.querySelector("[data-progress-url]");
  if (!root) return;
  const lang = document.documentElement.lang || "en";
  const integer = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const plural = new Intl.PluralRules(lang);
  const every = Math.max(5, Number(root.dataset.poll || 10)) * 1000;
  let timer = null;

  function set(el, text) { if (el && el.textContent !== text) el.textContent = text; }

  function show(data) {
    set(document.querySelector("[data-live='signatures']"), integer.format(data.signatures));
    const words = document.querySelector("[data-live-words]");
    if (words) set(words, plural.select(data.signatures) === "one" ? words.dataset.one : words.dataset.other);
    const bar = document.querySelector("[data-live-bar]");
    if (bar) bar.value = Math.min(100, data.bar);
    (data.regions || []).forEach((r) => {
      set(document.querySelector(`[data-live-region='${r.region}']`), `${integer.format(r.count)} / ${integer.format(r.minimum)}`);
      const rbar = document.querySelector(`[data-live-region-bar='${r.region}']`);
      if (rbar) rbar.value = Math.min(100, r.bar);
    });
  }

  async function poll() {
    try {
      const resp = await fetch(root.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (resp.ok) show(await resp.json());
    } catch (err) {
      // Offline for a moment: the figures on screen stay, the next poll tries again.
    }
  }

  function schedule() {
    clearInterval(timer);
    // A hidden tab does not poll: no load on the server for nobody watching.
    if (!document.hidden) timer = setInterval(poll, every);
  }
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); schedule(); });
  schedule();
})();
