// The queue page: counters and rates (GetQueueAttributes every 2 s), send, receive
// with delete, peek, editable attributes, dead-letter policy and its source queues,
// redrive with progress, rewind, purge. Every change is a CMQ action.
"use strict";
(async () => {
  const { call, el, $, show, guarded, time } = cmq;
  const name = cmq.param("name");
  const POLL_MS = 2000;
  const chart = new cmq.RateChart($("chart"), cmq.trafficSeries);
  const editable = [
    ["maxMsgHeapNum", "max messages"], ["pollingWaitSeconds", "long poll wait (s)"],
    ["visibilityTimeout", "visibility timeout (s)"], ["maxMsgSize", "max message size (bytes)"],
    ["msgRetentionSeconds", "retention (s)"], ["rewindSeconds", "rewindable for (s)"],
  ];

  await cmq.start();
  $("queue-name").textContent = name;
  document.title = "cmqd console: queue " + name;
  $("chart-legend").append(chart.legend());

  async function refresh(withForm = false) {
    const a = await call("GetQueueAttributes", { queueName: name });
    const counters = [["activeMsgNum", "active"], ["inactiveMsgNum", "in flight"], ["delayMsgNum", "delayed"],
      ["rewindMsgNum", "rewindable"], ["msgSentTotal", "sent"], ["msgReceivedTotal", "received"],
      ["msgDeletedTotal", "deleted"]];
    $("counters").replaceChildren(...counters.map(([f, label]) =>
      el("div", { class: "counter" }, el("b", { id: "counter-" + f }, a[f]), label)),
      el("div", { class: "counter" }, el("b", {}, time(a.minMsgTime)), "oldest message"));
    chart.add({ sent: a.msgSentTotal, received: a.msgReceivedTotal, deleted: a.msgDeletedTotal });
    if (withForm) {
      $("attributes").replaceChildren(el("dl", { class: "attrs" }, editable.map(([f, label]) => [
        el("dt", {}, el("label", { for: "attr-" + f }, label)),
        el("dd", {}, el("input", { type: "number", id: "attr-" + f, value: a[f] }))])));
      const policy = a.deadLetterPolicy ? JSON.parse(a.deadLetterPolicy) : null;
      $("dlq-current").textContent = policy
        ? "Messages go to " + policy.deadLetterQueue + (policy.policy === 0
          ? " after " + policy.maxReceiveCount + " receives." : " after " + policy.maxTimeToLive + " s undeleted.")
        : "No dead-letter queue.";
      if (policy) {
        $("dlq-queue").value = policy.deadLetterQueue;
        $("dlq-policy").value = String(policy.policy);
        if (policy.maxReceiveCount) $("dlq-max-receive").value = policy.maxReceiveCount;
        if (policy.maxTimeToLive) $("dlq-ttl").value = policy.maxTimeToLive;
      }
    }
    return a;
  }

  async function loadSources() {
    const list = await call("ListDeadLetterSourceQueues", { deadLetterQueueName: name, limit: 50 });
    $("dlq-sources").replaceChildren(...(list.queueList.length ? list.queueList.map((q) => el("li", {},
      el("a", { href: "/console/queue?name=" + encodeURIComponent(q.queueName) }, q.queueName)))
      : [el("li", { class: "muted" }, "none")]));
    $("redrive").disabled = list.queueList.length === 0;
  }

  let watchingTasks = null;
  async function loadTasks() {
    const list = await call("ListMessageMoveTasks", { sourceQueueName: name });
    $("move-tasks").replaceChildren(...list.taskList.map((t) => el("tr", {},
      el("td", {}, time(t.startedTime)), el("td", {}, t.destinationQueueName),
      el("td", { class: "task-status" }, t.status), el("td", { class: "num" }, t.movedMsgNum + " of " + t.toMoveMsgNum),
      el("td", { class: "error" }, t.failureReason || ""))));
    const running = list.taskList.some((t) => t.status === "RUNNING");
    if (running && !watchingTasks) watchingTasks = setInterval(() => guarded("redrive-result", loadTasks), 1000);
    if (!running && watchingTasks) { clearInterval(watchingTasks); watchingTasks = null; }
  }

  function messageRow(m, withDelete) {
    const row = el("tr", { "data-msg": m.msgId },
      el("td", {}, el("code", {}, m.msgId)), el("td", {}, el("pre", { class: "body" }, m.msgBody)),
      el("td", { class: "num" }, m.dequeueCount), el("td", {}, time(m.enqueueTime)),
      el("td", {}, time(m.nextVisibleTime)));
    if (withDelete) {
      const outcome = el("span");
      row.append(el("td", {},
        el("button", { type: "button", class: "delete-message", onclick: (e) => guarded("receive-error", async () => {
          await call("DeleteMessage", { queueName: name, receiptHandle: m.receiptHandle });
          row.querySelectorAll("button").forEach((b) => b.remove());
          outcome.className = "ok";
          outcome.textContent = "deleted";
        }, e.target) }, "Delete"), " ",
        el("button", { type: "button", onclick: () => {
          row.querySelectorAll("button").forEach((b) => b.remove());
          outcome.className = "muted";
          outcome.textContent = "left: visible again at " + time(m.nextVisibleTime);
        } }, "Leave"), outcome));
    }
    return row;
  }

  $("send").onclick = (e) => guarded("send-result", async () => {
    const answer = await call("SendMessage", { queueName: name, msgBody: $("send-body").value, delaySeconds: $("send-delay").value });
    show("send-result", "sent " + answer.msgId, true);
    await refresh();
  }, e.target);

  $("receive").onclick = (e) => guarded("receive-error", async () => {
    try {
      const answer = await call("BatchReceiveMessage", { queueName: name, numOfMsg: $("receive-count").value, pollingWaitSeconds: 0 });
      $("received").replaceChildren(...answer.msgInfoList.map((m) => messageRow(m, true)));
    } catch (err) {
      if (err.code !== 7000) throw err;
      $("received").replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "muted" }, "no message to receive")));
    }
    await refresh();
  }, e.target);

  $("peek").onclick = (e) => guarded("peek-error", async () => {
    const answer = await call("PeekMessage", { queueName: name, numOfMsg: $("peek-count").value, state: $("peek-state").value });
    $("peeked").replaceChildren(...(answer.msgInfoList.length ? answer.msgInfoList.map((m) => {
      const row = messageRow(m, false);
      row.children[1].before(el("td", {}, m.state));
      return row;
    }) : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, "no messages"))]));
  }, e.target);

  $("save-attributes").onclick = (e) => guarded("attributes-result", async () => {
    const params = { queueName: name };
    for (const [f] of editable) params[f] = $("attr-" + f).value;
    await call("SetQueueAttributes", params);
    show("attributes-result", "saved", true);
    await refresh(true);
  }, e.target);

  $("dlq-set").onclick = (e) => guarded("dlq-result", async () => {
    const policy = { deadLetterQueue: $("dlq-queue").value.trim(), policy: Number($("dlq-policy").value) };
    if (policy.policy === 0) policy.maxReceiveCount = Number($("dlq-max-receive").value);
    else policy.maxTimeToLive = Number($("dlq-ttl").value);
    await call("SetQueueAttributes", { queueName: name, deadLetterPolicy: JSON.stringify(policy) });
    show("dlq-result", "dead-letter policy set", true);
    await refresh(true);
  }, e.target);

  $("dlq-unbind").onclick = (e) => guarded("dlq-result", async () => {
    await call("UnbindDeadLetterQueue", { queueName: name });
    show("dlq-result", "dead-letter policy removed", true);
    await refresh(true);
  }, e.target);

  $("redrive").onclick = (e) => guarded("redrive-result", async () => {
    await call("StartMessageMoveTask", { sourceQueueName: name });
    await loadTasks();
  }, e.target);

  $("rewind").onclick = (e) => guarded("rewind-result", async () => {
    const t = Math.floor(new Date($("rewind-time").value).getTime() / 1000);
    if (!Number.isFinite(t)) throw new Error("choose a time to rewind to");
    await call("RewindQueue", { queueName: name, startConsumeTime: t });
    show("rewind-result", "rewound to " + time(t), true);
    await refresh();
  }, e.target);

  $("purge").onclick = (e) => guarded("danger-result", async () => {
    if (!confirm("Delete every message of " + name + "?")) return;
    const answer = await call("PurgeQueue", { queueName: name });
    show("danger-result", "purged " + answer.purgedMsgNum + " messages", true);
    await refresh();
  }, e.target);

  $("delete-queue").onclick = (e) => guarded("danger-result", async () => {
    if (!confirm("Delete the queue " + name + " and its messages?")) return;
    await call("DeleteQueue", { queueName: name });
    location.href = "/console/";
  }, e.target);

  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
  $("rewind-time").value = now.toISOString().slice(0, 19);
  await Promise.all([guarded("page-error", () => refresh(true)), guarded("page-error", loadSources),
    guarded("page-error", loadTasks)]);
  document.body.dataset.loaded = "true";
  setInterval(() => guarded("page-error", refresh), POLL_MS);
})();
