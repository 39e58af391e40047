// llm steps: an OpenAI-compatible chat completion (Ollama, llama.cpp,
// vLLM, OpenAI…) or Anthropic's Messages API. The API key is read from the
// environment variable the step names; it is never logged.
import { capText } from "../core/outputCap";
import { redactUrl } from "../core/redact";
import type { LlmStep } from "../sdk";
import { checkUrl, send } from "./http";
import { StepFailure, type StepContext, type StepOutcome } from "./types";

export const LLM_DEFAULTS = {
  openai: { baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.2", apiKeyEnv: undefined as string | undefined },
  anthropic: { baseUrl: "https://api.anthropic.com/v1", model: "claude-sonnet-4-5", apiKeyEnv: "ANTHROPIC_API_KEY" },
} as const;
export const ANTHROPIC_VERSION = "2023-06-01";
const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export async function runLlm(step: LlmStep, ctx: StepContext): Promise<StepOutcome> {
  const options = step.options;
  const provider = options.provider ?? "openai";
  const defaults = LLM_DEFAULTS[provider];
  const baseUrl = (options.baseUrl ?? defaults.baseUrl).replace(/\/+$/, "");
  const model = options.model ?? defaults.model;
  const prompt = ctx.render(options.prompt);
  const system = options.system === undefined ? undefined : ctx.render(options.system);

  const keyEnv = options.apiKeyEnv ?? defaults.apiKeyEnv;
  const apiKey = keyEnv ? ctx.env[keyEnv] : undefined;
  if (keyEnv && !apiKey) {
    throw new StepFailure(
      `the environment variable ${keyEnv} (apiKeyEnv) is not set; export it where the run executes (your shell for clockwork run, the agent's environment for triggered runs)`,
      { retryable: false },
    );
  }

  const url = `${baseUrl}${provider === "anthropic" ? "/messages" : "/chat/completions"}`;
  checkUrl(url);
  const headers: Record<string, string> = { "content-type": "application/json" };
  let body: Record<string, unknown>;
  if (provider === "anthropic") {
    headers["x-api-key"] = apiKey!;
    headers["anthropic-version"] = ANTHROPIC_VERSION;
    body = {
      model,
      max_tokens: options.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      messages: [{ role: "user", content: prompt }],
      ...(system !== undefined ? { system } : {}),
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    };
  } else {
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    body = {
      model,
      messages: [...(system !== undefined ? [{ role: "system", content: system }] : []), { role: "user", content: prompt }],
      stream: false,
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
    };
  }

  ctx.log.info(`${provider} model ${model} at ${redactUrl(baseUrl)}`);
  const response = await send(url, { method: "POST", headers, body: JSON.stringify(body), signal: ctx.signal });
  const text = await readText(response);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const detail = apiErrorMessage(json) ?? text.trim().slice(0, 500);
    throw new StepFailure(
      `the model server at ${redactUrl(url)} answered ${response.status} ${response.statusText}${detail ? `: ${detail}` : ""}${hint(response.status, keyEnv)}`,
    );
  }
  if (json === undefined) throw new StepFailure(`the model server at ${redactUrl(url)} did not answer with JSON: ${text.slice(0, 200)}`);
  const reply = provider === "anthropic" ? anthropicText(json) : openaiText(json);
  if (reply === undefined) {
    throw new StepFailure(`the model server's answer has no reply text: ${JSON.stringify(json).slice(0, 300)}`);
  }
  const usage = usageLine(json);
  if (usage) ctx.log.info(usage);
  const output = capText(reply.trim());
  if (output) ctx.log.stdout(`${output}\n`);
  return { output };
}

async function readText(response: Response): Promise<string> {
  const length = Number(response.headers.get("content-length") ?? 0);
  if (length > MAX_RESPONSE_BYTES) throw new StepFailure(`the model server's answer is too large (${length} bytes)`);
  return response.text();
}

function openaiText(json: unknown): string | undefined {
  const content = (json as { choices?: Array<{ message?: { content?: unknown } }> })?.choices?.[0]?.message?.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return textParts(content);
  return undefined;
}

function anthropicText(json: unknown): string | undefined {
  const content = (json as { content?: unknown })?.content;
  return Array.isArray(content) ? textParts(content) : undefined;
}

function textParts(parts: unknown[]): string {
  return parts
    .map((part) => (part && typeof part === "object" && (part as { type?: string }).type === "text" ? String((part as { text?: unknown }).text ?? "") : ""))
    .join("");
}

function apiErrorMessage(json: unknown): string | undefined {
  const error = (json as { error?: unknown })?.error;
  if (typeof error === "string") return error;
  const message = (error as { message?: unknown })?.message;
  return typeof message === "string" ? message : undefined;
}

function hint(status: number, keyEnv: string | undefined): string {
  if (status === 401 || status === 403) return keyEnv ? ` (check the key in ${keyEnv})` : " (the server wants an API key: set apiKeyEnv)";
  if (status === 404) return " (check baseUrl and model)";
  return "";
}

function usageLine(json: unknown): string | undefined {
  const usage = (json as { usage?: Record<string, unknown> })?.usage;
  if (!usage) return undefined;
  const input = usage.prompt_tokens ?? usage.input_tokens;
  const output = usage.completion_tokens ?? usage.output_tokens;
  return typeof input === "number" && typeof output === "number" ? `${input} tokens in, ${output} out` : undefined;
}
