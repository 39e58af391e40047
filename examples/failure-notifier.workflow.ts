// Posts to a chat channel when another workflow's run fails, with the
// run's error. Works with any incoming webhook that takes Slack's JSON
// ({"text": "…"}): Slack, Mattermost, Rocket.Chat, Discord's /slack
// endpoint. Put the webhook's URL in the agent's environment (it is a
// secret, so it lives there rather than in this file or a run's record):
//
//   CHAT_WEBHOOK_URL=https://hooks.example.com/services/… clockwork agent start
//
// Then have it react to the workflows you care about:
//
//   clockwork register-on-run examples/failure-notifier.workflow.ts --workflow daily-digest,webhook-handler
//
// Add --status failed,cancelled to hear about cancelled runs too.
import { code, defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "failure-notifier",
  description: "Tells a chat channel which run failed, and why.",
  steps: [
    // Each placeholder is one quoted word, so an error message holding
    // `$(…)` or quotes is printed, never run.
    shell(
      "message",
      "printf '%s failed (run %s, started by %s):\\n%s' {trigger.run.workflow} {trigger.run.id} {trigger.run.trigger_kind} {trigger.run.error}",
    ),
    code("post", async (ctx) => {
      const url = process.env.CHAT_WEBHOOK_URL;
      if (!url) throw new Error("CHAT_WEBHOOK_URL is not set in the agent's environment: set it to your chat's incoming-webhook URL");
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: ctx.steps.message }),
        signal: ctx.signal,
      });
      if (!response.ok) throw new Error(`the chat webhook answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      return `posted to the chat webhook (${response.status})`;
    }),
  ],
});
