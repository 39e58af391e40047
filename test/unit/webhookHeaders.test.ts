import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { deliveryIdOf, parseBody, pickHeaders, validateExtraHeaders } from "../../agent/core/webhookHeaders";

describe("pickHeaders", () => {
  const incoming = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/abc",
    "x-github-event": "push",
    authorization: "Bearer secret",
    cookie: "session=1",
    "x-hub-signature-256": "sha256=00",
    "stripe-signature": "t=1,v1=00",
    "x-custom": "custom value",
    "x-other": "not named",
  };

  it("passes the allow-listed headers and nothing else by default", () => {
    assert.deepEqual(pickHeaders(incoming), {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/abc",
      "x-github-event": "push",
    });
  });

  it("adds the headers a registration names", () => {
    assert.equal(pickHeaders(incoming, ["x-custom"])["x-custom"], "custom value");
    assert.equal(pickHeaders(incoming, ["x-custom"])["x-other"], undefined);
  });

  it("drops credentials even when a stored registration names them", () => {
    const picked = pickHeaders(incoming, ["authorization", "cookie", "x-hub-signature-256", "stripe-signature"]);
    assert.equal(picked.authorization, undefined);
    assert.equal(picked.cookie, undefined);
    assert.equal(picked["x-hub-signature-256"], undefined);
    assert.equal(picked["stripe-signature"], undefined);
  });

  it("joins repeated header values", () => {
    assert.equal(pickHeaders({ "x-multi": ["a", "b"] }, ["x-multi"])["x-multi"], "a, b");
  });
});

describe("validateExtraHeaders", () => {
  it("lower-cases, trims and de-duplicates names, leaving out ones already allowed", () => {
    assert.deepEqual(validateExtraHeaders([" X-Custom ", "x-custom", "Content-Type"]), ["x-custom"]);
  });

  for (const name of ["Authorization", "Cookie", "X-Hub-Signature-256", "Stripe-Signature", "X-Gitlab-Token", "X-Api-Key", "Proxy-Authorization"]) {
    it(`refuses ${name}`, () => {
      assert.throws(() => validateExtraHeaders([name]), /credentials/);
    });
  }

  it("refuses a name that is not an HTTP token", () => {
    assert.throws(() => validateExtraHeaders(["x bad"]), /not a valid HTTP header name/);
  });
});

describe("deliveryIdOf", () => {
  it("prefers X-GitHub-Delivery, then Idempotency-Key", () => {
    assert.equal(deliveryIdOf({ "x-github-delivery": "g1", "idempotency-key": "i1" }, {}, false), "g1");
    assert.equal(deliveryIdOf({ "idempotency-key": "i1" }, {}, false), "i1");
  });

  it("uses the Stripe event id only for Stripe-signed bodies", () => {
    assert.equal(deliveryIdOf({}, { id: "evt_1" }, true), "evt_1");
    assert.equal(deliveryIdOf({}, { id: "evt_1" }, false), null);
  });

  it("is null when the sender gives none", () => {
    assert.equal(deliveryIdOf({}, "text", true), null);
    assert.equal(deliveryIdOf({ "idempotency-key": "  " }, {}, false), null);
  });
});

describe("parseBody", () => {
  it("parses JSON and keeps other text verbatim", () => {
    assert.deepEqual(parseBody(Buffer.from('{"a":[1,2]}')), { a: [1, 2] });
    assert.equal(parseBody(Buffer.from("payload=%7B%7D")), "payload=%7B%7D");
    assert.equal(parseBody(Buffer.from("")), "");
  });
});
