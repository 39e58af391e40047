// Signature verification against the real signers: GitHub's own
// (@octokit/webhooks-methods) and Stripe's test-header helper.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import Stripe from "stripe";
import examples from "@octokit/webhooks-examples";
import { parseStripeHeader, signBody, verifyBearer, verifySignature } from "../../agent/core/signature";

// GitHub's signer is an ES module only; load it the way a CommonJS test can.
const sign = async (key: string, payload: string): Promise<string> =>
  (await import("@octokit/webhooks-methods")).sign(key, payload);

const secret = "a".repeat(64);
const now = Date.UTC(2026, 0, 1, 12, 0, 0);

function pushPayload(): string {
  const push = (examples as Array<{ name: string; examples: unknown[] }>).find((e) => e.name === "push");
  assert.ok(push && push.examples.length > 0, "the examples package has push payloads");
  return JSON.stringify(push.examples[0]);
}

describe("X-Clockwork-Signature", () => {
  it("accepts the HMAC of the raw body", () => {
    const body = Buffer.from('{"hello":"world"}');
    const result = verifySignature({ headers: { "x-clockwork-signature": signBody(secret, body) }, rawBody: body, secret, nowMs: now });
    assert.deepEqual(result, { ok: true, scheme: "clockwork" });
  });

  it("rejects a signature of a body that differs by one byte", () => {
    const body = Buffer.from('{"hello":"world"}');
    const header = signBody(secret, '{"hello":"world!"}');
    const result = verifySignature({ headers: { "x-clockwork-signature": header }, rawBody: body, secret, nowMs: now });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reason, "signature does not match");
  });

  it("rejects a signature made with another secret", () => {
    const body = Buffer.from("x");
    const result = verifySignature({ headers: { "x-clockwork-signature": signBody("other", body) }, rawBody: body, secret, nowMs: now });
    assert.equal(result.ok, false);
  });

  it("verifies over the raw bytes, not a re-serialised JSON", () => {
    const raw = Buffer.from('{ "b": 1,  "a": 2 }');
    const header = signBody(secret, raw);
    assert.equal(verifySignature({ headers: { "x-clockwork-signature": header }, rawBody: raw, secret, nowMs: now }).ok, true);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString())));
    assert.equal(verifySignature({ headers: { "x-clockwork-signature": header }, rawBody: reserialised, secret, nowMs: now }).ok, false);
  });

  for (const [label, header, reason] of [
    ["a missing header", undefined, "no signature header"],
    ["a wrong prefix", "sha1=" + "0".repeat(64), "signature does not start with sha256="],
    ["malformed hex", "sha256=" + "z".repeat(64), "signature is not 64 hex characters"],
    ["a short digest", "sha256=abcd", "signature is not 64 hex characters"],
    ["a long digest", "sha256=" + "0".repeat(66), "signature is not 64 hex characters"],
    ["an empty value", "", "signature does not start with sha256="],
  ] as const) {
    it(`rejects ${label} with a reason that names it`, () => {
      const headers = header === undefined ? {} : { "x-clockwork-signature": header };
      const result = verifySignature({ headers, rawBody: Buffer.from("body"), secret, nowMs: now });
      assert.deepEqual(result.ok ? null : result.reason, reason);
    });
  }

  it("does not accept a valid digest behind a wrong prefix", () => {
    const body = Buffer.from("body");
    const hex = signBody(secret, body).slice(7);
    const result = verifySignature({ headers: { "x-clockwork-signature": "sha512=" + hex }, rawBody: body, secret, nowMs: now });
    assert.equal(result.ok, false);
  });

  it("accepts upper-case hex", () => {
    const body = Buffer.from("body");
    const header = "sha256=" + signBody(secret, body).slice(7).toUpperCase();
    assert.equal(verifySignature({ headers: { "x-clockwork-signature": header }, rawBody: body, secret, nowMs: now }).ok, true);
  });
});

describe("GitHub's X-Hub-Signature-256", () => {
  it("accepts a real push payload signed by GitHub's signer", async () => {
    const payload = pushPayload();
    const header = await sign(secret, payload);
    const result = verifySignature({ headers: { "x-hub-signature-256": header }, rawBody: Buffer.from(payload), secret, nowMs: now });
    assert.deepEqual(result, { ok: true, scheme: "github" });
  });

  it("rejects a real payload whose body was tampered with", async () => {
    const payload = pushPayload();
    const header = await sign(secret, payload);
    const tampered = Buffer.from(payload.replace('"ref"', '"reF"'));
    assert.equal(verifySignature({ headers: { "x-hub-signature-256": header }, rawBody: tampered, secret, nowMs: now }).ok, false);
  });

  it("does not fall back to GitHub's header when a Clockwork header is present and wrong", async () => {
    const payload = pushPayload();
    const headers = { "x-clockwork-signature": "sha256=" + "0".repeat(64), "x-hub-signature-256": await sign(secret, payload) };
    assert.equal(verifySignature({ headers, rawBody: Buffer.from(payload), secret, nowMs: now }).ok, false);
  });
});

describe("Stripe-Signature", () => {
  const stripe = new Stripe("sk_test_x");
  const stripeSecret = "whsec_" + "b".repeat(32);
  const event = JSON.stringify({ id: "evt_123", object: "event", type: "payment_intent.succeeded", data: { object: {} } });
  const header = (timestampSeconds: number, secretUsed = stripeSecret) =>
    stripe.webhooks.generateTestHeaderString({ payload: event, secret: secretUsed, timestamp: timestampSeconds });

  it("accepts a header from Stripe's own test helper", () => {
    const result = verifySignature({ headers: { "stripe-signature": header(now / 1000) }, rawBody: Buffer.from(event), secret: stripeSecret, nowMs: now });
    assert.deepEqual(result, { ok: true, scheme: "stripe" });
  });

  it("accepts a timestamp just inside the five-minute tolerance and rejects one just outside", () => {
    const inside = verifySignature({ headers: { "stripe-signature": header(now / 1000 - 300) }, rawBody: Buffer.from(event), secret: stripeSecret, nowMs: now });
    assert.equal(inside.ok, true);
    const outside = verifySignature({ headers: { "stripe-signature": header(now / 1000 - 301) }, rawBody: Buffer.from(event), secret: stripeSecret, nowMs: now });
    assert.deepEqual(outside.ok ? null : outside.reason, "Stripe-Signature timestamp is outside the tolerance");
  });

  it("rejects a timestamp far in the future", () => {
    const result = verifySignature({ headers: { "stripe-signature": header(now / 1000 + 3600) }, rawBody: Buffer.from(event), secret: stripeSecret, nowMs: now });
    assert.equal(result.ok, false);
  });

  it("rejects a valid v1 moved onto another timestamp", () => {
    const good = header(now / 1000);
    const v1 = parseStripeHeader(good).v1[0]!;
    const moved = `t=${now / 1000 - 10},v1=${v1}`;
    assert.equal(verifySignature({ headers: { "stripe-signature": moved }, rawBody: Buffer.from(event), secret: stripeSecret, nowMs: now }).ok, false);
  });

  it("accepts when any one of several v1 signatures matches, as during secret rotation", () => {
    const good = parseStripeHeader(header(now / 1000)).v1[0]!;
    const value = `t=${now / 1000},v1=${"0".repeat(64)},v1=${good},v0=ignored`;
    assert.equal(verifySignature({ headers: { "stripe-signature": value }, rawBody: Buffer.from(event), secret: stripeSecret, nowMs: now }).ok, true);
  });

  it("rejects a header signed with another secret", () => {
    const value = header(now / 1000, "whsec_other");
    assert.equal(verifySignature({ headers: { "stripe-signature": value }, rawBody: Buffer.from(event), secret: stripeSecret, nowMs: now }).ok, false);
  });

  for (const [label, value, reason] of [
    ["no timestamp", `v1=${"0".repeat(64)}`, "Stripe-Signature has no timestamp"],
    ["no v1", `t=${now / 1000}`, "Stripe-Signature has no v1 signature"],
    ["garbage", "nonsense", "Stripe-Signature has no timestamp"],
  ] as const) {
    it(`rejects a header with ${label}`, () => {
      const result = verifySignature({ headers: { "stripe-signature": value }, rawBody: Buffer.from(event), secret: stripeSecret, nowMs: now });
      assert.equal(result.ok ? null : result.reason, reason);
    });
  }
});

describe("verifyBearer", () => {
  it("accepts the exact token and nothing else", () => {
    assert.equal(verifyBearer("Bearer s3cret", "s3cret"), true);
    assert.equal(verifyBearer("bearer s3cret", "s3cret"), true);
    assert.equal(verifyBearer("Bearer s3cre", "s3cret"), false);
    assert.equal(verifyBearer("Bearer s3cret2", "s3cret"), false);
    assert.equal(verifyBearer("s3cret", "s3cret"), false);
    assert.equal(verifyBearer("Basic s3cret", "s3cret"), false);
    assert.equal(verifyBearer(undefined, "s3cret"), false);
  });

  it("never accepts anything when the configured token is empty", () => {
    assert.equal(verifyBearer("Bearer ", ""), false);
  });
});
