// Handles a GitHub pull-request webhook. Register it, and point GitHub at
// the URL it prints (GitHub's X-Hub-Signature-256 is accepted as is):
//
//   clockwork register-webhook examples/webhook-handler.workflow.ts --name github-prs --header x-github-event
//
// Try it by hand first; --body stands in for the request body:
//
//   clockwork run examples/webhook-handler.workflow.ts --body @examples/payloads/pull-request.json
//
// Every value from the body is inserted as one quoted shell word, so a
// pull-request title such as `$(rm -rf ~)` is printed, never run.
import { defineWorkflow, shell } from "clockwork";

export default defineWorkflow({
  name: "webhook-handler",
  description: "Logs pull-request events and announces new ones.",
  steps: [
    shell("what", "echo PR {trigger.body.number} {trigger.body.action}: {trigger.body.pull_request.title}"),
    // The whole body is also in $CLOCKWORK_TRIGGER_BODY (sorted JSON), handy for jq.
    shell("log", 'mkdir -p webhook-log && printf "%s\\n" "$CLOCKWORK_TRIGGER_BODY" >> webhook-log/pull-requests.jsonl && wc -l < webhook-log/pull-requests.jsonl'),
    shell("announce", 'if [ {trigger.body.action} = opened ]; then echo "New PR by "{trigger.body.pull_request.user.login}; else echo "nothing to announce"; fi'),
  ],
});
