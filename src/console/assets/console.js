// What every console page shares: the session (and its CSRF token), calls of CMQ
// actions through /console/api, small DOM helpers, and the rate chart. No framework:
// plain DOM and canvas, loaded as a classic script before the page's own.
"use strict";

const cmq = (() => {
  let session = null;

  // The live session, or off to the login page.
  async function start() {
    const answer = await fetch("/console/session", { credentials: "same-origin" });
    if (answer.status === 401) {
      location.href = "/console/login";
      throw new Error("login required");
    }
    session = await answer.json();
    renderHeader();
    return session;
  }

  class CmqError extends Error {
    constructor(answer) {
      super(answer.message || ("code " + answer.code));
      this.code = answer.code;
      this.answer = answer;
    }
  }

  // Runs a CMQ action (the API port's handlers) as the session's account. Resolves to
  // the answer; rejects with CmqError when its code is not 0.
  async function call(action, params = {}) {
    const body = new URLSearchParams({ Action: action });
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== "") body.append(k, String(v));
    }
    const answer = await fetch("/console/api", {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": session ? session.csrfToken : "" },
    });
    if (answer.status === 401) {
      location.href = "/console/login";
      throw new Error("login required");
    }
    const json = await answer.json();
    if (!answer.ok) throw new Error(json.error || ("HTTP " + answer.status));
    if (json.code !== 0) throw new CmqError(json);
    return json;
  }

  // el("td", {class: "num"}, "12"): an element with attributes and children (strings
  // become text nodes: nothing is ever parsed as HTML).
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function $(id) { return document.getElementById(id); }

  // Shows `message` (an Error or text) in the element `id`, or clears it.
  function show(id, message, ok = false) {
    const node = $(id);
    if (!node) return;
    node.className = ok ? "ok" : "error";
    node.textContent = message instanceof Error ? message.message : (message || "");
  }

  // Runs `fn`, showing its failure in `id`; the button (if any) is disabled meanwhile.
  async function guarded(id, fn, button) {
    show(id, "");
    if (button) button.disabled = true;
    try {
      return await fn();
    } catch (e) {
      show(id, e);
    } finally {
      if (button) button.disabled = false;
    }
  }

  function time(unixSeconds) {
    if (!unixSeconds) return "-";
    return new Date(unixSeconds * 1000).toLocaleString();
  }

  function param(name) { return new URLSearchParams(location.search).get(name) || ""; }

  function renderHeader() {
    const header = document.querySelector("header");
    if (!header) return;
    header.replaceChildren(
      el("strong", {}, "cmqd console"),
      el("a", { href: "/console/" }, "Overview"),
      el("a", { href: "/console/trace" }, "Message trace"),
      el("span", { class: "who", id: "who" }, session.secretId + " (appId " + session.appId + ")"),
      el("button", { id: "logout", type: "button", onclick: logout }, "Log out"));
  }

  async function logout() {
    await fetch("/console/logout", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": session.csrfToken },
    });
    location.href = "/console/login";
  }

  // A line chart of per-second rates over the last `windowSeconds`, from totals
  // sampled by the page (GetQueueAttributes' msgSentTotal, msgReceivedTotal,
  // msgDeletedTotal). A total that went down (cmqd restarted) starts the series again.
  class RateChart {
    constructor(canvas, series, windowSeconds = 300) {
      this.canvas = canvas;
      this.series = series;  // [{key, label, color}]
      this.windowMs = windowSeconds * 1000;
      this.points = [];      // {t, rates: {key: per second}}
      this.last = null;      // {t, totals}
    }
    // `totals`: {key: total}; a missing key (a queue that failed to answer) skips the sample.
    add(totals, t = Date.now()) {
      if (this.last) {
        const dt = (t - this.last.t) / 1000;
        const rates = {};
        let ok = dt > 0;
        for (const s of this.series) {
          const d = totals[s.key] - this.last.totals[s.key];
          if (!(d >= 0)) ok = false;
          rates[s.key] = d / dt;
        }
        if (ok) this.points.push({ t, rates });
      }
      this.last = { t, totals };
      while (this.points.length && this.points[0].t < t - this.windowMs) this.points.shift();
      this.draw(t);
    }
    reset() { this.last = null; }
    draw(now) {
      const c = this.canvas;
      const ratio = window.devicePixelRatio || 1;
      const w = c.clientWidth, h = c.clientHeight;
      c.width = w * ratio;
      c.height = h * ratio;
      const g = c.getContext("2d");
      g.scale(ratio, ratio);
      g.clearRect(0, 0, w, h);
      const left = 48, bottom = h - 18, top = 8, right = w - 8;
      let max = 1;
      for (const p of this.points) for (const s of this.series) max = Math.max(max, p.rates[s.key]);
      g.strokeStyle = "#dde";
      g.fillStyle = "#778";
      g.font = "11px sans-serif";
      for (let i = 0; i <= 4; ++i) {
        const y = bottom - (bottom - top) * i / 4;
        g.beginPath(); g.moveTo(left, y); g.lineTo(right, y); g.stroke();
        g.fillText((max * i / 4).toFixed(max >= 40 ? 0 : 1) + "/s", 2, y + 4);
      }
      g.fillText("-" + Math.round(this.windowMs / 60000) + " min", left, h - 4);
      g.fillText("now", right - 22, h - 4);
      const x = (t) => right - (now - t) / this.windowMs * (right - left);
      for (const s of this.series) {
        g.strokeStyle = s.color;
        g.lineWidth = 2;
        g.beginPath();
        this.points.forEach((p, i) => {
          const y = bottom - p.rates[s.key] / max * (bottom - top);
          if (i === 0) g.moveTo(x(p.t), y); else g.lineTo(x(p.t), y);
        });
        g.stroke();
      }
    }
    legend() {
      return el("div", { class: "legend" },
        this.series.map((s) => {
          const swatch = el("i");
          swatch.style.background = s.color;  // CSSOM: the CSP allows no inline style
          return el("span", {}, swatch, s.label);
        }));
    }
  }

  const trafficSeries = [
    { key: "sent", label: "sent", color: "#2a6fdb" },
    { key: "received", label: "received", color: "#e08a00" },
    { key: "deleted", label: "deleted", color: "#1e9e4a" },
  ];

  return { start, call, el, $, show, guarded, time, param, RateChart, trafficSeries, CmqError };
})();
