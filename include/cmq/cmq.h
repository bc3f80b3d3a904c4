// libcmq, the C++ SDK for the CMQ HTTP API: everything in one include.
//
// The classes keep the names of Tencent's CMQ SDKs (Account, Queue, Topic,
// Subscription, CMQClient, QueueMeta, TopicMeta, SubscriptionMeta, Message,
// CMQServerException) so that porting code is mechanical; results are return values
// and failures are exceptions (exceptions.h).
#pragma once

#include "cmq/account.h"
#include "cmq/cluster.h"
#include "cmq/cmq_client.h"
#include "cmq/exceptions.h"
#include "cmq/list_result.h"
#include "cmq/message.h"
#include "cmq/message_move_task.h"
#include "cmq/message_trace.h"
#include "cmq/queue.h"
#include "cmq/queue_meta.h"
#include "cmq/subscription.h"
#include "cmq/subscription_meta.h"
#include "cmq/topic.h"
#include "cmq/topic_meta.h"
