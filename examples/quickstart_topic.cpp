// The CMQ topic quick start with libcmq, step by step: create a topic, subscribe
// queues to it, publish and batch publish, filter by tags, route by routing keys.
// Each step checks that the server behaved as the quick start says.
//
//   CMQ_ENDPOINT=http://127.0.0.1:8080 CMQ_SECRET_ID=... CMQ_SECRET_KEY=... ./quickstart_topic
//
// Exit status: 0 when every step behaved as expected, 1 when one did not (the reason is
// printed), 2 when the environment variables are missing.
#include <cmq/cmq.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct StepFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void Expect(bool condition, const std::string& what) {
  if (!condition) throw StepFailed(what);
}

void Step(const std::string& title) { std::cout << "\n== " << title << "\n"; }

// Deliveries to queues are asynchronous: long-poll until `count` messages arrived
// (each wait up to 10 s), delete them and return their bodies.
std::multiset<std::string> Drain(const cmq::Queue& queue, size_t count) {
  std::multiset<std::string> bodies;
  while (bodies.size() < count) {
    std::vector<cmq::Message> batch = queue.batchReceiveMessage(16, 10);
    std::vector<std::string> handles;
    for (const cmq::Message& m : batch) {
      bodies.insert(m.msgBody);
      handles.push_back(m.receiptHandle);
    }
    queue.batchDeleteMessage(handles);
  }
  return bodies;
}

// True when nothing arrives within `wait` seconds.
bool StaysEmpty(const cmq::Queue& queue, int wait) {
  try {
    cmq::Message m = queue.receiveMessage(wait);
    std::cout << "   unexpected message: " << m.msgBody << "\n";
    return false;
  } catch (const cmq::CMQNoMessageException&) {
    return true;
  }
}

void Show(const std::string& queue, const std::multiset<std::string>& bodies) {
  std::cout << "   " << queue << " received:";
  for (const std::string& b : bodies) std::cout << " \"" << b << "\"";
  std::cout << "\n";
}

int Run(const std::string& endpoint, const std::string& secret_id,
        const std::string& secret_key) {
  cmq::Account account(endpoint, secret_id, secret_key);
  const std::string suffix = std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr));
  const std::string tag_topic = "qs-news-" + suffix;
  const std::string route_topic = "qs-orders-" + suffix;
  const std::string q_all = "qs-all-" + suffix;
  const std::string q_sports = "qs-sports-" + suffix;
  const std::string q_created = "qs-created-" + suffix;
  const std::string q_orders = "qs-orders-all-" + suffix;
  for (const std::string& q : {q_all, q_sports, q_created, q_orders}) account.createQueue(q);

  Step("1. create a tag-filtering topic " + tag_topic);
  std::string topic_id = account.createTopic(tag_topic, 65536, 1);
  std::cout << "   topicId " << topic_id << "\n";
  cmq::Topic topic = account.getTopic(tag_topic);
  cmq::TopicMeta meta = topic.getTopicAttributes();
  Expect(meta.filterType == 1 && meta.maxMsgSize == 65536, "topic attributes differ");
  std::vector<std::string> topics = account.listTopic(tag_topic).names();
  Expect(std::find(topics.begin(), topics.end(), tag_topic) != topics.end(),
         "listTopic does not show the new topic");

  Step("2. subscribe two queues: one takes everything, one only tag \"sports\"");
  account.createSubscribe(tag_topic, "all", q_all, "queue");
  account.createSubscribe(tag_topic, "sports", q_sports, "queue", {"sports"});
  cmq::ListResult subs = topic.listSubscription();
  Expect(subs.totalCount == 2, "listSubscription should show two subscriptions");
  for (const cmq::ResourceSummary& s : subs.items) {
    std::cout << "   subscription " << s.name << " -> " << s.protocol << " " << s.endpoint << "\n";
  }
  cmq::SubscriptionMeta sports = account.getSubscription(tag_topic, "sports").getSubscriptionAttributes();
  Expect(sports.filterTag == std::vector<std::string>{"sports"} && sports.endpoint == q_sports,
         "the sports subscription has other attributes");

  Step("3. publish one message without tags and one tagged \"sports\"");
  std::cout << "   msgId " << topic.publishMessage("plain news") << "\n";
  std::cout << "   msgId " << topic.publishMessage("match result", {"sports"}) << "\n";

  Step("4. batch publish three messages tagged \"weather\"");
  std::vector<std::string> ids =
      topic.batchPublishMessage({"sunny", "rainy", "windy"}, {"weather"});
  Expect(ids.size() == 3, "batchPublishMessage should return three msgIds");

  Step("5. tag filtering: the sports queue got only the sports message");
  std::multiset<std::string> all = Drain(account.getQueue(q_all), 5);
  Show(q_all, all);
  Expect(all == std::multiset<std::string>{"plain news", "match result", "sunny", "rainy",
                                           "windy"},
         "the unfiltered subscription should receive all five messages");
  std::multiset<std::string> only_sports = Drain(account.getQueue(q_sports), 1);
  Show(q_sports, only_sports);
  Expect(only_sports == std::multiset<std::string>{"match result"},
         "the sports subscription should receive the sports message");
  Expect(StaysEmpty(account.getQueue(q_sports), 2),
         "the sports subscription received a message without its tag");

  Step("6. clear the filter tags: the sports queue now receives everything");
  account.getSubscription(tag_topic, "sports").clearFilterTags();
  topic.publishMessage("after clearing", {"weather"});
  Expect(Drain(account.getQueue(q_sports), 1) == std::multiset<std::string>{"after clearing"},
         "a subscription without filter tags should receive every message");
  Drain(account.getQueue(q_all), 1);

  Step("7. create a routing-key topic " + route_topic + " and bind two queues");
  account.createTopic(route_topic, 65536, 2);
  cmq::Topic orders = account.getTopic(route_topic);
  account.createSubscribe(route_topic, "created", q_created, "queue", {}, {"order.*.created"});
  account.createSubscribe(route_topic, "everything", q_orders, "queue", {}, {"order.#"});

  Step("8. routing keys: '*' matches one word, '#' any number");
  orders.publishMessage("eu order created", {}, "order.eu.created");
  orders.publishMessage("eu order paid", {}, "order.eu.paid");
  orders.batchPublishMessage({"order created", "order updated"}, {}, "order.us.created");
  std::multiset<std::string> created = Drain(account.getQueue(q_created), 3);
  Show(q_created, created);
  Expect(created == std::multiset<std::string>{"eu order created", "order created",
                                               "order updated"},
         "order.*.created should match exactly the created orders");
  std::multiset<std::string> everything = Drain(account.getQueue(q_orders), 4);
  Show(q_orders, everything);
  Expect(everything.size() == 4 && everything.count("eu order paid") == 1,
         "order.# should match every order");
  Expect(StaysEmpty(account.getQueue(q_created), 1),
         "order.*.created matched a key it should not");

  Step("9. a message no subscription accepts is refused");
  try {
    orders.publishMessage("user signed up", {}, "user.signup");
    throw StepFailed("a message without any matching subscription was accepted");
  } catch (const cmq::CMQServerException& e) {
    std::cout << "   refused as expected: " << e.getCode() << " " << e.getMessage() << "\n";
    Expect(e.getCode() == 6030, "an unmatched publish should give 6030");
  }

  Step("10. clean up");
  account.deleteSubscribe(tag_topic, "all");
  account.deleteSubscribe(tag_topic, "sports");
  account.deleteSubscribe(route_topic, "created");
  account.deleteSubscribe(route_topic, "everything");
  account.deleteTopic(tag_topic);
  account.deleteTopic(route_topic);
  for (const std::string& q : {q_all, q_sports, q_created, q_orders}) account.deleteQueue(q);
  std::cout << "\ntopic quick start: every step behaved as expected\n";
  return 0;
}

}  // namespace

int main() {
  const char* endpoint = std::getenv("CMQ_ENDPOINT");
  const char* secret_id = std::getenv("CMQ_SECRET_ID");
  const char* secret_key = std::getenv("CMQ_SECRET_KEY");
  if (!endpoint || !secret_id || !secret_key) {
    std::cerr << "set CMQ_ENDPOINT (e.g. http://127.0.0.1:8080), CMQ_SECRET_ID and "
                 "CMQ_SECRET_KEY\n";
    return 2;
  }
  try {
    return Run(endpoint, secret_id, secret_key);
  } catch (const StepFailed& e) {
    std::cerr << "FAILED: " << e.what() << "\n";
  } catch (const cmq::CMQException& e) {
    std::cerr << "FAILED: " << e.what() << "\n";
  }
  return 1;
}
