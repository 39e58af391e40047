// Run ids: short, random, lower-case, so that a few leading characters name
// a run on the command line the way a git hash prefix names a commit.
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
export const RUN_ID_LENGTH = 12;
/** What a run id or a prefix of one may contain. */
export const RUN_ID_CHARS = /^[0-9a-z]+$/;

/** 12 characters of [0-9a-z]: about 62 bits, so collisions are not a concern. */
export function newRunId(): string {
  // 252 is the largest multiple of 36 below 256: rejecting bytes above it
  // keeps every character equally likely.
  let id = "";
  while (id.length < RUN_ID_LENGTH) {
    for (const byte of randomBytes(RUN_ID_LENGTH * 2)) {
      if (byte < 252 && id.length < RUN_ID_LENGTH) id += ALPHABET[byte % 36];
    }
  }
  return id;
}
