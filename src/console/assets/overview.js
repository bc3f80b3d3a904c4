// Overview: the account's queues and topics, a page of each at a time (ListQueue and
// ListTopic are paged, so 10,000 queues cost one page of calls), the shown queues'
// counters refreshed every 2 s, and a chart of their send, receive and delete rates.
"use strict";
(async () => {
  const { call, el, $, show, guarded } = cmq;
  const PAGE = 20, POLL_MS = 2000;
  let queueOffset = 0, topicOffset = 0, queueNames = [];
  const chart = new cmq.RateChart($("chart"), cmq.trafficSeries);

  await cmq.start();
  $("chart-legend").append(chart.legend());

  function pager(prefix, offset, total) {
    $(prefix + "-page").textContent = total === 0 ? "none" :
      (offset + 1) + "-" + Math.min(offset + PAGE, total) + " of " + total;
    $(prefix + "-prev").disabled = offset === 0;
    $(prefix + "-next").disabled = offset + PAGE >= total;
  }

  async function loadQueues() {
    const list = await call("ListQueue", { offset: queueOffset, limit: PAGE, searchWord: $("queue-search").value });
    $("queue-total").textContent = "(" + list.totalCount + ")";
    pager("queue", queueOffset, list.totalCount);
    queueNames = list.queueList.map((q) => q.queueName);
    $("queues").replaceChildren(...queueNames.map((name) => el("tr", { "data-queue": name },
      el("td", {}, el("a", { href: "/console/queue?name=" + encodeURIComponent(name) }, name)),
      ...["activeMsgNum", "inactiveMsgNum", "delayMsgNum", "msgSentTotal", "msgReceivedTotal", "msgDeletedTotal"]
        .map((f) => el("td", { class: "num", "data-field": f }, "…")))));
    chart.reset();
    await refreshCounters();
  }

  // One GetQueueAttributes per shown queue: their counters, and the chart's sample.
  async function refreshCounters() {
    const names = queueNames;
    const answers = await Promise.all(names.map((n) => call("GetQueueAttributes", { queueName: n }).catch(() => null)));
    if (names !== queueNames) return;  // the page changed meanwhile
    const totals = { sent: 0, received: 0, deleted: 0 };
    answers.forEach((a, i) => {
      const row = document.querySelector('tr[data-queue="' + CSS.escape(names[i]) + '"]');
      if (!a) { totals.sent = NaN; return; }
      totals.sent += a.msgSentTotal; totals.received += a.msgReceivedTotal; totals.deleted += a.msgDeletedTotal;
      if (!row) return;
      for (const cell of row.querySelectorAll("td[data-field]")) cell.textContent = a[cell.dataset.field];
    });
    chart.add(totals);
  }

  async function loadTopics() {
    const list = await call("ListTopic", { offset: topicOffset, limit: PAGE });
    $("topic-total").textContent = "(" + list.totalCount + ")";
    pager("topic", topicOffset, list.totalCount);
    const answers = await Promise.all(list.topicList.map((t) => call("GetTopicAttributes", { topicName: t.topicName }).catch(() => ({}))));
    $("topics").replaceChildren(...list.topicList.map((t, i) => el("tr", {},
      el("td", {}, el("a", { href: "/console/topic?name=" + encodeURIComponent(t.topicName) }, t.topicName)),
      el("td", { class: "num" }, answers[i].msgCount ?? "-"),
      el("td", { class: "num" }, answers[i].maxMsgSize ?? "-"),
      el("td", {}, answers[i].filterType === 2 ? "routing key" : "tag"))));
  }

  $("queue-prev").onclick = () => { queueOffset = Math.max(0, queueOffset - PAGE); guarded("queue-error", loadQueues); };
  $("queue-next").onclick = () => { queueOffset += PAGE; guarded("queue-error", loadQueues); };
  $("queue-search-button").onclick = () => { queueOffset = 0; guarded("queue-error", loadQueues); };
  $("topic-prev").onclick = () => { topicOffset = Math.max(0, topicOffset - PAGE); guarded("topic-error", loadTopics); };
  $("topic-next").onclick = () => { topicOffset += PAGE; guarded("topic-error", loadTopics); };
  $("create-queue").onclick = (e) => guarded("queue-error", async () => {
    const name = $("new-queue").value.trim();
    await call("CreateQueue", { queueName: name });
    location.href = "/console/queue?name=" + encodeURIComponent(name);
  }, e.target);
  $("create-topic").onclick = (e) => guarded("topic-error", async () => {
    const name = $("new-topic").value.trim();
    await call("CreateTopic", { topicName: name });
    location.href = "/console/topic?name=" + encodeURIComponent(name);
  }, e.target);

  await Promise.all([guarded("queue-error", loadQueues), guarded("topic-error", loadTopics)]);
  document.body.dataset.loadedMs = String(Math.round(performance.now()));  // from navigation start
  document.body.dataset.loaded = "true";
  setInterval(() => guarded("queue-error", refreshCounters), POLL_MS);
})();
