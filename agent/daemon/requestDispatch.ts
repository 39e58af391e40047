// Answers the clockwork/* requests (requests.ts) on one client's connection.
// Params are checked against the request's schema first, so a client sending
// garbage gets InvalidParams naming the field; a store that vanished refuses
// every request but the status question; and what a handler throws becomes a
// JSON-RPC error: a ClockworkError keeps its code and message, anything else
// is a bug, logged, and answered InternalError without stopping the agent.
import { ErrorCodes as RpcErrorCodes, ResponseError, type Connection } from "vscode-languageserver/node";
import { z } from "zod";
import { ClockworkError, messageOf } from "../errors";
import * as P from "../protocol";
import { requestHandlers, type RequestHandler } from "./requests";
import type { AgentServices } from "./services";

/** Registers every request on `connection`; `onRequest` runs as each one arrives, before its params are checked. */
export function serveRequests(connection: Connection, services: AgentServices, onRequest: () => void): void {
  for (const h of requestHandlers) {
    // Registered by method name so that the params check below is ours: the
    // library passes its cancellation token last, and params (if any) first.
    connection.onRequest(h.method, async (...args: unknown[]) => {
      onRequest();
      const params = checkedParams(h, args.length >= 2 ? args[0] : undefined);
      // A store that vanished is not read from or written to: every
      // request but the status question is refused with what happened.
      if (services.storeError !== null && h.method !== P.Status.method) {
        throw new ResponseError(P.ErrorCodes.Conflict, `${services.storeError}; the agent accepts no work and is exiting`);
      }
      return answer(h, params, services);
    });
  }
}

function checkedParams(h: RequestHandler, raw: unknown): unknown {
  const parsed = h.params.safeParse(raw);
  if (!parsed.success) {
    throw new ResponseError(RpcErrorCodes.InvalidParams, `${h.method}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

async function answer(h: RequestHandler, params: unknown, services: AgentServices): Promise<unknown> {
  try {
    return await h.handle(params, services);
  } catch (error) {
    if (error instanceof ClockworkError) throw new ResponseError(error.code, error.message);
    services.events.emit("agent:log", { level: "error", message: `${h.method} failed: ${messageOf(error)}` });
    throw new ResponseError(RpcErrorCodes.InternalError, messageOf(error));
  }
}
