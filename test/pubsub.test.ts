import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Redis } from "ioredis";
import { createLogger } from "../src/platform/logger";
import { PubSub } from "../src/platform/pubsub";
import { createRedis } from "../src/platform/redis";
import { testServices } from "./support/gateway";
import { CuttableProxy } from "./support/proxy";

/**
 * The process's one pub/sub connection (src/platform/pubsub.ts) against a real Redis, cut and
 * restored through a proxy. Channels live under a key prefix of this test's own.
 */

const PREFIX = `test:${process.pid}:pubsub:`;
const log = createLogger("pubsub-test", process.env.LOG_LEVEL ?? "silent");
const leftovers: Array<{ close(): unknown } | Redis | CuttableProxy> = [];

after(async () => {
  for (const thing of leftovers.reverse()) {
    if (thing instanceof Redis) thing.disconnect();
    else if (thing instanceof CuttableProxy) await thing.cut();
    else thing.close();
  }
});

function open(url: string): { redis: Redis; pubsub: PubSub } {
  const redis = createRedis(url, PREFIX);
  redis.on("error", () => undefined); // the proxied cases cut it on purpose
  const pubsub = new PubSub(redis, log);
  leftovers.push(redis, pubsub);
  return { redis, pubsub };
}

/** A client of its own that publishes as another replica would (the channel name given in full). */
function publisher(): Redis {
  const redis = new Redis(testServices().redisUrl);
  leftovers.push(redis);
  return redis;
}

/** Messages a handler received, and a way to wait for the next one. */
class Inbox {
  readonly messages: string[] = [];
  private waiting: Array<(message: string) => void> = [];

  readonly handler = (message: string): void => {
    this.messages.push(message);
    for (const wake of this.waiting.splice(0)) wake(message);
  };

  next(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** Publishes `message` every 100 ms until `inbox` has it: a resubscription after an outage is asynchronous by nature. */
async function publishUntilReceived(redis: Redis, channel: string, inbox: Inbox, message: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!inbox.messages.includes(message)) {
    assert.ok(Date.now() < deadline, `${message} did not arrive on ${channel} within ${ms} ms`);
    await redis.publish(channel, message);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("PubSub: one subscriber connection per process", () => {
  test("subscribe resolves once Redis confirmed: a message published right after reaches every handler of the channel, under the key prefix", async () => {
    const { pubsub } = open(testServices().redisUrl);
    const first = new Inbox();
    const second = new Inbox();
    await pubsub.subscribe("news", first.handler);
    await pubsub.subscribe("news", second.handler);
    await pubsub.subscribe("news", first.handler); // the same handler again: registered once
    assert.equal(pubsub.channel("news"), `${PREFIX}news`);
    const arrived = Promise.all([first.next(), second.next()]);
    assert.equal(await publisher().publish(`${PREFIX}news`, "hello"), 1, "one connection listens, however many handlers");
    assert.deepEqual(await arrived, ["hello", "hello"]);
    assert.deepEqual(first.messages, ["hello"]);
    const next = first.next(); // before publishing: the message may arrive before PUBLISH's reply
    await pubsub.publish("news", "from the command client");
    assert.equal(await next, "from the command client");
  });

  test("a dropped connection tells onLost listeners, subscribing fails fast while it is down, and its channels are listened to again once it is back", async () => {
    const proxy = await CuttableProxy.start(testServices().redisUrl);
    leftovers.push(proxy);
    const { pubsub } = open(proxy.through(testServices().redisUrl));
    const inbox = new Inbox();
    await pubsub.subscribe("feed", inbox.handler);
    const lost = new Promise<void>((resolve) => pubsub.onLost(resolve));

    await proxy.cut();
    await lost;
    const started = Date.now();
    await assert.rejects(pubsub.subscribe("feed", inbox.handler), (error: Error & { extensions?: Record<string, unknown> }) => {
      assert.equal(error.extensions?.code, "SERVICE_UNAVAILABLE");
      return true;
    });
    assert.ok(Date.now() - started < 5_000, "fails fast");

    await proxy.restore();
    await publishUntilReceived(publisher(), `${PREFIX}feed`, inbox, "after the outage");
    await pubsub.subscribe("feed", inbox.handler); // confirmed again on the new connection
  });

  test("a channel first asked for while Redis is down is listened to once it is back", async () => {
    const proxy = await CuttableProxy.start(testServices().redisUrl);
    leftovers.push(proxy);
    await proxy.cut();
    const { pubsub } = open(proxy.through(testServices().redisUrl));
    const inbox = new Inbox();
    await assert.rejects(pubsub.subscribe("late", inbox.handler), (error: Error & { extensions?: Record<string, unknown> }) => {
      assert.equal(error.extensions?.code, "SERVICE_UNAVAILABLE");
      return true;
    });
    await proxy.restore();
    await publishUntilReceived(publisher(), `${PREFIX}late`, inbox, "better late");
  });
});
