// Webhooks inside the agent: registering one (a new 256-bit secret shown
// once, or a sender-made one imported with --secret-stdin; re-registering
// the same name rotates the secret), and the HTTP server as an agent
// component wired to the store and the run pool.
import { BodyBudget, DEFAULT_BODY_BUDGET_BYTES } from "../core/bodyBudget";
import { validateExtraHeaders } from "../core/webhookHeaders";
import { bytesOf, checkBodyLimit, DEFAULT_WEBHOOK_BODY_BYTES, generateWebhookSecret, normaliseImportedSecret, webhookUrl } from "../core/webhookPolicy";
import { conflict, invalid, messageOf } from "../errors";
import type { Events } from "../events";
import type { RegisterWebhookParams, TriggerRecord } from "../protocol";
import type { TriggerRepository } from "../store";
import { HttpServer, type ApiTarget, type WebhookTarget } from "./httpServer";
import type { AgentComponent, AgentServices } from "./services";
import type { TriggerOps } from "./triggerOps";

/**
 * CLOCKWORK_HTTP_BODY_BUDGET: bytes (or with k/m) of request bodies the HTTP
 * server holds at once; default DEFAULT_BODY_BUDGET_BYTES.
 */
export function bodyBudgetFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CLOCKWORK_HTTP_BODY_BUDGET;
  if (raw === undefined || raw === "") return DEFAULT_BODY_BUDGET_BYTES;
  const bytes = bytesOf(raw);
  if (bytes === null || bytes <= 0 || !Number.isSafeInteger(bytes)) {
    throw invalid(`CLOCKWORK_HTTP_BODY_BUDGET: "${raw}" is not a size in bytes (e.g. 134217728, 256m)`);
  }
  return bytes;
}

export interface RegisterWebhookDeps {
  triggers: TriggerRepository;
  triggerOps: TriggerOps;
  events?: Events;
  /** The HTTP server's base URL, null while it is off. */
  httpUrl: string | null;
  now?: () => number;
}

export type RegisterWebhookResult = { trigger: TriggerRecord; url: string | null; secret?: string; rotated?: boolean };

/**
 * Registers a webhook, or rotates an existing one of the same name and
 * workflow file: its secret is replaced (and its headers and body limit set
 * anew), so the old secret stops working at once. `secret` is in the result
 * only when the agent generated it; that is the one time it is shown.
 */
export async function registerWebhook(deps: RegisterWebhookDeps, p: RegisterWebhookParams): Promise<RegisterWebhookResult> {
  const secret = p.secret === undefined ? undefined : normaliseImportedSecret(p.secret);
  const headers = validateExtraHeaders(p.headers ?? []);
  const maxBodyBytes = checkBodyLimit(p.maxBodyBytes);

  let existing = p.name === undefined ? undefined : await deps.triggers.get(p.name);
  if (existing === undefined && p.name === undefined) {
    // The default name is the workflow's: load it to know whether this is a rotation.
    // A file that does not load is refused here, with the loader's wording, not loaded twice.
    const { name } = await deps.triggerOps.loadTriggerWorkflow(p.file);
    existing = await deps.triggers.get(name);
  }
  if (!existing || existing.type !== "webhook") {
    const newSecret = secret ?? generateWebhookSecret();
    const { trigger, url } = await deps.triggerOps.createWebhook({ ...p, headers, maxBodyBytes, secret: newSecret }, deps.httpUrl);
    return secret === undefined ? { trigger, url, secret: newSecret } : { trigger, url };
  }
  if (existing.workflowFile !== p.file) {
    throw conflict(
      `a webhook named "${existing.name}" already exists for ${existing.workflowFile}; choose another --name or unregister it first`,
    );
  }
  // Check the file still loads before replacing anything.
  const loaded = await deps.triggerOps.loadTriggerWorkflow(p.file);
  const newSecret = secret ?? generateWebhookSecret();
  const row = await deps.triggers.update(existing.name, { secret: newSecret, config: { headers, maxBodyBytes }, workflowName: loaded.name });
  deps.events?.emit("triggers:changed", { names: [row.name] });
  const trigger = await deps.triggers.toRecord(row);
  const url = webhookUrl(deps.httpUrl, row.name) ?? trigger.webhook?.url ?? null;
  return secret === undefined ? { trigger, url, secret: newSecret, rotated: true } : { trigger, url, rotated: true };
}


/**
 * The HTTP server as a part of the agent: listens on
 * CLOCKWORK_HTTP_HOST:CLOCKWORK_HTTP_PORT, reports its address (or why it
 * could not listen) in the agent's status, and maps requests onto the store
 * and the run pool.
 */
export const httpComponent: AgentComponent = {
  name: "HTTP server",
  // Open until the runs are done: new requests get 503 meanwhile, and
  // `?wait=1` callers whose runs finish within the grace get their answer.
  stopAfterRuns: true,
  async start(services: AgentServices) {
    const { store, events, config } = services;
    let budget: BodyBudget;
    try {
      budget = new BodyBudget(bodyBudgetFromEnv());
    } catch (error) {
      services.setHttp({ url: null, error: messageOf(error) });
      throw error;
    }
    const server = new HttpServer({
      events,
      apiToken: config.apiToken,
      async findWebhook(name): Promise<WebhookTarget | null> {
        const row = await store.triggers.get(name);
        if (!row || row.type !== "webhook" || row.paused) return null;
        const secret = await store.triggers.webhookSecret(name);
        if (!secret) return null;
        return { triggerId: row.id, name: row.name, secret, headers: row.config.headers ?? [], maxBodyBytes: row.config.maxBodyBytes ?? DEFAULT_WEBHOOK_BODY_BYTES };
      },
      async findApiTarget(workflow): Promise<ApiTarget | null> {
        // A trigger name first; then the workflow name of any registered
        // trigger (the first by trigger name, for a stable answer).
        const byName = await store.triggers.get(workflow);
        if (byName) return { triggerId: byName.id, name: byName.name };
        const byWorkflow = (await store.triggers.rows()).find((row) => row.workflowName === workflow);
        return byWorkflow ? { triggerId: byWorkflow.id, name: byWorkflow.name } : null;
      },
      findDelivery: async (triggerId, deliveryId, sinceMs) => (await store.runs.findDelivery(triggerId, deliveryId, sinceMs)) ?? null,
      async startRun(request) {
        const row = await store.triggers.getById(request.triggerId);
        if (!row) throw new Error(`trigger "${request.triggerName}" was unregistered a moment ago`);
        // Batched with the other deliveries of this event-loop turn; the
        // 202 is sent only after the transaction holding this row commits.
        const run = await services.startRun({
          workflowName: row.workflowName,
          workflowFile: row.workflowFile,
          triggerKind: request.kind,
          triggerId: row.id,
          triggerName: row.name,
          context: request.context,
          ...(request.deliveryId === null ? {} : { deliveryId: request.deliveryId }),
        });
        return { runId: run.id };
      },
      async waitForRun(runId) {
        await services.waitForRun(runId);
        return store.runs.getRun(runId);
      },
      refusal: () =>
        services.storeError !== null ? "the agent's store is unavailable" : services.stopping ? "the agent is shutting down" : null,
      bodyBudget: budget,
    });
    try {
      const url = await server.listen(config.httpHost, config.httpPort);
      services.setHttp({ url, error: null });
      events.emit("agent:log", {
        level: "info",
        message: `HTTP server listening on ${url}${config.apiToken ? " (POST /run enabled)" : ""}`,
      });
    } catch (error) {
      const message = `cannot listen on ${config.httpHost}:${config.httpPort}: ${messageOf(error)}`;
      services.setHttp({ url: null, error: message });
      throw new Error(message);
    }
    return {
      async stop() {
        await server.close();
        services.setHttp({ url: null, error: null });
      },
    };
  },
};
