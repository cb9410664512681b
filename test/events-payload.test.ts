import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PayloadError, validatePayload } from "../src/domain/events";

/** Payload validation (src/domain/events.ts) against objects built to reach prototypes. */
describe("validatePayload reads only a payload's own fields", () => {
  const rejected = (payload: unknown): PayloadError => {
    try {
      validatePayload("DATA_USAGE", payload);
    } catch (error) {
      assert.ok(error instanceof PayloadError, String(error));
      return error;
    }
    assert.fail(`expected ${JSON.stringify(payload)} to be rejected`);
  };

  test("a required field only under __proto__ (as JSON.parse builds it: an own key) is missing", () => {
    const error = rejected(JSON.parse('{"__proto__": {"percent": 95}}'));
    assert.equal(error.field, "payload.percent");
  });

  test("a required field only inherited (the prototype really set) is missing", () => {
    assert.equal(rejected(Object.create({ percent: 95 })).field, "payload.percent");
    assert.equal(rejected(JSON.parse('{"constructor": {"prototype": {"percent": 95}}}')).field, "payload.percent");
  });

  test("prototype keys beside valid fields are ignored, and leave nothing behind", () => {
    const payload = validatePayload("DATA_USAGE", JSON.parse('{"percent": 92, "__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'));
    assert.deepEqual(payload, { percent: 92 });
    assert.equal(Object.getPrototypeOf(payload), Object.prototype);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined, "Object.prototype untouched");
  });

  test("an object without a prototype (GraphQL literals are built so) is read as usual", () => {
    const payload = Object.assign(Object.create(null) as Record<string, unknown>, { percent: 50 });
    assert.deepEqual({ ...validatePayload("DATA_USAGE", payload) }, { percent: 50 });
  });
});
