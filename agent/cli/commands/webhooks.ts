// clockwork register-webhook <file> [--name N] [--header H …] [--secret-stdin] [--max-body BYTES]
//
// Prints the webhook's URL and, unless the secret came from stdin, the new
// 256-bit secret. That is the only time any command shows it: listings
// never carry it. Registering the same name again rotates the secret.
import { resolve } from "node:path";
import { Command } from "commander";
import { loadConfig } from "../../config";
import { parseByteSize, webhookUrl } from "../../core/webhookPolicy";
import { registerWebhook, type RegisterWebhookResult } from "../../daemon/webhooks";
import { RegisterWebhook, type RegisterWebhookParams } from "../../protocol";
import { withAgentOrStore } from "../client";
import { colour, printJson } from "../output";
import { pinParam } from "./schedules";

export function webhookCommands(program: Command): void {
  program
    .command("register-webhook")
    .description("Run a workflow when a signed HTTP request arrives at /webhook/<name>")
    .argument("<file>", "workflow file (*.workflow.ts, .js or .mjs)")
    .option("--name <name>", "name in the URL (default: the workflow's name); unique across all triggers")
    .option(
      "--header <name>",
      "also expose this request header to the run as {trigger.headers.<name>} (repeatable); credentials are refused",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--secret-stdin", "read the signing secret from standard input instead of generating one (Stripe's whsec_…, a GitHub secret)")
    .option("--max-body <bytes>", "largest accepted body: bytes, or with k/m (default 1m); larger ones get 413")
    .option("--pin [host]", "team mode: any agent accepts deliveries, only agents of this host run them (default: this machine)")
    .option("--json", "print {trigger, url, secret} as JSON")
    .addHelpText(
      "after",
      `
The secret is printed once and never shown again; register the same name
again to rotate it. Senders sign the raw body with HMAC-SHA256 and send one of
  X-Clockwork-Signature: sha256=<hex>
  X-Hub-Signature-256: sha256=<hex>      (GitHub)
  Stripe-Signature: t=<time>,v1=<hex>    (Stripe, 5-minute tolerance)

Examples:
  clockwork register-webhook deploy.workflow.ts --name deploy --header x-request-id
  printf %s "$STRIPE_WEBHOOK_SECRET" | clockwork register-webhook stripe.workflow.ts --secret-stdin

See docs/webhooks.md.`,
    )
    .action(
      async (file: string, o: { name?: string; header: string[]; secretStdin?: boolean; maxBody?: string; pin?: string | true; json?: boolean }) => {
        const params: RegisterWebhookParams = { file: resolve(file), headers: o.header, ...pinParam(o.pin) };
        if (o.name !== undefined) params.name = o.name;
        if (o.maxBody !== undefined) params.maxBodyBytes = parseByteSize(o.maxBody);
        if (o.secretStdin) params.secret = await readStdin();
        const config = loadConfig();
        const { result, viaAgent } = await withAgentOrStore<RegisterWebhookResult>(
          config,
          (client) => client.request(RegisterWebhook, params),
          (local) => registerWebhook({ triggers: local.store.triggers, triggerOps: local.triggerOps, httpUrl: null }, params),
        );
        // Without an agent the URL is where the agent will listen once started.
        const url = result.url ?? webhookUrl(`http://${hostForUrl(config.httpHost)}:${config.httpPort}`, result.trigger.name);
        if (o.json) return printJson({ ...result, url });
        const lines = [
          `${colour.green(result.rotated ? "rotated" : "registered")} webhook ${colour.bold(result.trigger.name)} → ${result.trigger.workflowName}`,
          `  URL     ${url}`,
        ];
        if (result.secret !== undefined) {
          lines.push(`  secret  ${result.secret}`);
          lines.push(colour.yellow("  This secret is shown once; no command shows it again. Register the same name again to rotate it."));
        } else {
          lines.push("  secret  the one read from standard input");
        }
        if (!viaAgent) lines.push(colour.yellow("  no agent is running: saved to the store; `clockwork agent start` to receive requests"));
        process.stdout.write(lines.join("\n") + "\n");
      },
    );
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("paste the secret, then press Ctrl-D:\n");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
