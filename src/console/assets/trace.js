// The trace page: msgId and its queue or topic -> TraceMessage's timeline
// ({"msgId","complete","events":[{"time" (unix ms),"event",...details}]}).
"use strict";
(async () => {
  const { call, el, $, show, guarded } = cmq;
  const details = ["clientAddress", "dequeueCount", "subscriptionName", "endpoint", "error"];

  await cmq.start();
  for (const k of ["queueName", "topicName"]) {
    if (cmq.param(k)) { $("trace-kind").value = k; $("trace-resource").value = cmq.param(k); }
  }
  $("trace-msg-id").value = cmq.param("msgId");

  async function trace() {
    $("trace-events").replaceChildren();
    $("trace-summary").textContent = "";
    const params = { msgId: $("trace-msg-id").value.trim() };
    params[$("trace-kind").value] = $("trace-resource").value.trim();
    const answer = await call("TraceMessage", params);
    $("trace-summary").textContent = answer.events.length + " events" +
      (answer.complete ? "" : " (the oldest records are no longer in the journal: the start of the life is missing)");
    $("trace-events").replaceChildren(...answer.events.map((e) => el("tr", { class: "trace-event" },
      el("td", {}, new Date(e.time).toLocaleString() + "." + String(e.time % 1000).padStart(3, "0")),
      el("td", { class: "event" }, e.event),
      el("td", {}, details.filter((k) => e[k] !== undefined && e[k] !== "").map((k) => k + " " + e[k]).join(", ")))));
  }

  $("trace").onclick = (e) => guarded("trace-error", trace, e.target);
  if ($("trace-msg-id").value) await guarded("trace-error", trace);
  document.body.dataset.loaded = "true";
})();
