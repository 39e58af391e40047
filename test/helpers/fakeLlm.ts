// A local stand-in for model servers: POST /v1/chat/completions as OpenAI
// (and Ollama, llama.cpp, vLLM) speak it, and POST /v1/messages as
// Anthropic's Messages API. It records every request so tests can check
// the model, the prompt and the auth header that were sent, and answers
// with a reply the test chooses (by default, the prompt echoed back).
import { startHttpServer, type RecordedRequest, type Reply, type TestServer } from "./httpServer";

export interface ChatRequest {
  api: "openai" | "anthropic";
  model: string;
  system?: string;
  /** The last user message. */
  prompt: string;
  request: RecordedRequest;
}

export interface FakeLlm extends TestServer {
  /** Base URL for `baseUrl` in llm steps: http://127.0.0.1:<port>/v1 (both APIs live under it). */
  baseUrl: string;
  /** Chat requests as the server understood them. */
  chats: ChatRequest[];
  /** Answer every later request with `text` (or compute it per request). */
  setReply(reply: string | ((chat: ChatRequest) => string)): void;
  /** Answer the next `count` requests with this HTTP error instead. */
  failNext(status: number, message: string, count?: number): void;
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const chats: ChatRequest[] = [];
  let reply: string | ((chat: ChatRequest) => string) = (chat) => `echo: ${chat.prompt}`;
  const failures: Array<{ status: number; message: string }> = [];

  const server = await startHttpServer((request): Reply => {
    const path = request.path.split("?")[0];
    const api = path === "/v1/chat/completions" ? "openai" : path === "/v1/messages" ? "anthropic" : undefined;
    if (request.method !== "POST" || !api) return { status: 404, body: { error: { message: `no route ${request.method} ${request.path}` } } };
    const body = request.json as Record<string, unknown> | undefined;
    if (!body || typeof body.model !== "string" || !Array.isArray(body.messages)) {
      return { status: 400, body: { error: { message: "expected JSON with model and messages" } } };
    }
    const messages = body.messages as Array<{ role: string; content: unknown }>;
    const system =
      api === "anthropic"
        ? (body.system as string | undefined)
        : (messages.find((m) => m.role === "system")?.content as string | undefined);
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    const chat: ChatRequest = { api, model: body.model, system, prompt: String(lastUser?.content ?? ""), request };
    chats.push(chat);

    if (api === "anthropic") {
      if (!request.headers["x-api-key"]) return { status: 401, body: { type: "error", error: { type: "authentication_error", message: "x-api-key header is required" } } };
      if (!request.headers["anthropic-version"]) return { status: 400, body: { type: "error", error: { message: "anthropic-version header is required" } } };
      if (typeof body.max_tokens !== "number") return { status: 400, body: { type: "error", error: { message: "max_tokens: Field required" } } };
    }
    const failure = failures.shift();
    if (failure) {
      return { status: failure.status, body: api === "anthropic" ? { type: "error", error: { message: failure.message } } : { error: { message: failure.message } } };
    }
    const text = typeof reply === "function" ? reply(chat) : reply;
    if (api === "openai") {
      return {
        body: {
          id: `chatcmpl-${chats.length}`,
          object: "chat.completion",
          model: chat.model,
          choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
          usage: { prompt_tokens: chat.prompt.length, completion_tokens: text.length, total_tokens: chat.prompt.length + text.length },
        },
      };
    }
    return {
      body: {
        id: `msg_${chats.length}`,
        type: "message",
        role: "assistant",
        model: chat.model,
        content: [{ type: "text", text }],
        stop_reason: "end_turn",
        usage: { input_tokens: chat.prompt.length, output_tokens: text.length },
      },
    };
  });

  return {
    ...server,
    baseUrl: `${server.url}/v1`,
    chats,
    setReply(next) {
      reply = next;
    },
    failNext(status, message, count = 1) {
      for (let i = 0; i < count; i++) failures.push({ status, message });
    },
  };
}
