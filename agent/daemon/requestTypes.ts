// What the agent's request table knows about agent/protocol.ts at compile
// time: which of its exports are requests, and the params and result each
// one carries. Types only; nothing here exists at run time.
import type { RequestType } from "vscode-languageserver-protocol";
import type * as P from "../protocol";

type Protocol = typeof P;

/** Every request the protocol module exports, by export name (`Status`, `RegisterSchedule`, …); notifications are left out. */
export type RequestName = {
  [K in keyof Protocol]: Protocol[K] extends RequestType<any, any, any> ? K : never;
}[keyof Protocol];

export type ParamsOf<N extends RequestName> = Protocol[N] extends RequestType<infer X, any, any> ? X : never;
export type ResultOf<N extends RequestName> = Protocol[N] extends RequestType<any, infer R, any> ? R : never;

/**
 * True when A and B are the same object type, field for field. Assignability
 * both ways is not enough: `{ a?: string }` and `{}` are assignable to each
 * other, so a field added to one side as optional would go unnoticed.
 */
export type SameType<A, B> =
  (<T>() => T extends Flat<A> ? 1 : 2) extends (<T>() => T extends Flat<B> ? 1 : 2) ? true : false;

// Intersections and interfaces compare as the same object type once flattened.
type Flat<T> = { [K in keyof T]: T[K] } & {};
