// The topic page: attributes, subscriptions with their filters and push failures
// (GetSubscriptionAttributes: lastPushError, pushFailures, retryBacklog), refreshed
// every 5 s; subscribe and unsubscribe; publishing a test message.
"use strict";
(async () => {
  const { call, el, $, show, guarded, time } = cmq;
  const name = cmq.param("name");

  await cmq.start();
  $("topic-name").textContent = name;
  document.title = "cmqd console: topic " + name;

  async function refresh() {
    const a = await call("GetTopicAttributes", { topicName: name });
    const shown = [["msgCount", "messages kept"], ["maxMsgSize", "max message size (bytes)"],
      ["msgRetentionSeconds", "retention (s)"], ["filterType", "filter type"], ["createTime", "created"]];
    $("attributes").replaceChildren(...shown.flatMap(([f, label]) => [el("dt", {}, label), el("dd", {},
      f === "createTime" ? time(a[f]) : f === "filterType" ? (a[f] === 2 ? "routing key" : "tag") : a[f])]));
    const list = await call("ListSubscriptionByTopic", { topicName: name, limit: 100 });
    const subs = await Promise.all(list.subscriptionList.map((s) =>
      call("GetSubscriptionAttributes", { topicName: name, subscriptionName: s.subscriptionName })));
    $("subscriptions").replaceChildren(...(subs.length ? subs.map((s) => el("tr", {},
      el("td", {}, s.subscriptionName), el("td", {}, s.protocol + ": " + s.endpoint),
      el("td", {}, (s.filterTag || []).length ? "tags " + s.filterTag.join(", ")
        : (s.bindingKey || []).length ? "keys " + s.bindingKey.join(", ") : "all"),
      el("td", { class: "num" }, s.msgCount), el("td", { class: "num" }, s.pushFailures),
      el("td", { class: "num" }, s.retryBacklog),
      el("td", { class: s.lastPushError ? "error" : "muted" },
        s.lastPushError ? time(s.lastPushErrorTime) + ": " + s.lastPushError : "none"),
      el("td", {}, el("button", { type: "button", onclick: (e) => guarded("subscribe-result", async () => {
        if (!confirm("Delete the subscription " + s.subscriptionName + "?")) return;
        await call("Unsubscribe", { topicName: name, subscriptionName: s.subscriptionName });
        await refresh();
      }, e.target) }, "Unsubscribe"))))
      : [el("tr", {}, el("td", { colspan: 8, class: "muted" }, "no subscriptions"))]));
  }

  // "a, b" -> {prefix.0: "a", prefix.1: "b"} (CMQ's indexed parameters).
  function indexed(prefix, text) {
    const out = {};
    text.split(",").map((t) => t.trim()).filter(Boolean).forEach((t, i) => { out[prefix + "." + i] = t; });
    return out;
  }

  $("subscribe").onclick = (e) => guarded("subscribe-result", async () => {
    await call("Subscribe", {
      topicName: name, subscriptionName: $("sub-name").value.trim(), protocol: $("sub-protocol").value,
      endpoint: $("sub-endpoint").value.trim(), ...indexed("filterTag", $("sub-tags").value),
      ...indexed("bindingKey", $("sub-keys").value),
    });
    show("subscribe-result", "subscribed " + $("sub-name").value.trim(), true);
    await refresh();
  }, e.target);

  $("publish").onclick = (e) => guarded("publish-result", async () => {
    const answer = await call("PublishMessage", {
      topicName: name, msgBody: $("publish-body").value, routingKey: $("publish-routing-key").value,
      ...indexed("msgTag", $("publish-tags").value),
    });
    show("publish-result", "published " + answer.msgId, true);
    await refresh();
  }, e.target);

  $("delete-topic").onclick = (e) => guarded("danger-result", async () => {
    if (!confirm("Delete the topic " + name + " and its subscriptions?")) return;
    await call("DeleteTopic", { topicName: name });
    location.href = "/console/";
  }, e.target);

  await guarded("page-error", refresh);
  document.body.dataset.loaded = "true";
  setInterval(() => guarded("page-error", refresh), 5000);
})();
