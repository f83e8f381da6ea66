/**
 * A Sampler over an OpenAI-compatible server (vLLM, SGLang, the mlerl reference trainer): prompts rendered by the
 * agent layer, sent to /v1/chat/completions (the server applies the model's chat template) or /v1/completions,
 * with the token ids and per-token log-probabilities RL needs recorded from the reply. A server that does not
 * return them is a configuration problem, reported as such before any training happens on made-up numbers.
 */
import { z } from "zod";
import { UserError } from "../errors.js";
import { loadTemplates, renderImprove, renderScratch, type ScratchInput, type Templates } from "../agent/prompts.js";
import { parseResponse } from "../agent/response.js";
import { scratchInputOf } from "../agent/task-prompt.js";
import type { TaskSpec } from "../core/task.js";
import { OpenAIClient, type OpenAIClientOptions } from "../llm/openai-client.js";
import type { Completion, PreviousAttempt, SampleOptions, SampleRequest, Sampler } from "./types.js";

export type OpenAIApi = "chat" | "completions";

export interface OpenAISamplerOptions extends OpenAIClientOptions {
  /**
   * The model name to ask for, given the policy version the caller expects (so sampling can follow a trainer's
   * adapter: "policy" on the reference server, "<adapter>-v<N>" on vLLM). A string is used for every version.
   */
  model: string | ((version: number) => string);
  api?: OpenAIApi;
  maxTokens: number;
  /** Each task's public dir, for the data overview in the prompt. */
  publicDirOf: (task: TaskSpec) => string;
  /** The execution time limit the prompt states, seconds. */
  timeLimitSec: number;
  /** The current policy version (a trainer's optimizer steps); 0 when nothing trains. */
  version?: () => number;
  templates?: Templates;
}

const TokenIds = z.array(z.number().int().nonnegative());
/** An adapter name as the trainer loads it on vLLM: "<name>-v<N>". */
const ADAPTER_VERSION = /-v(\d+)$/;

const Common = {
  model: z.string().optional(),
  prompt_token_ids: TokenIds.nullish(),
  adapter_version: z.number().int().nonnegative().nullish(),
};

const CompletionsReply = z
  .object({
    ...Common,
    choices: z.array(
      z
        .object({
          text: z.string(),
          token_ids: TokenIds.nullish(),
          prompt_token_ids: TokenIds.nullish(),
          finish_reason: z.string().nullish(),
          logprobs: z
            .object({ token_logprobs: z.array(z.number().nullable()) })
            .loose()
            .nullish(),
        })
        .loose(),
    ),
  })
  .loose();

const ChatReply = z
  .object({
    ...Common,
    choices: z.array(
      z
        .object({
          message: z.object({ content: z.string().nullish() }).loose(),
          token_ids: TokenIds.nullish(),
          prompt_token_ids: TokenIds.nullish(),
          finish_reason: z.string().nullish(),
          logprobs: z
            .object({ content: z.array(z.object({ logprob: z.number().nullable() }).loose()).nullish() })
            .loose()
            .nullish(),
        })
        .loose(),
    ),
  })
  .loose();

/** What one reply gives, whichever endpoint it came from. */
export interface SampledReply {
  text: string;
  promptTokens: number[];
  tokens: number[];
  logprobs: number[];
  finished: boolean;
  /** The adapter version that served it, when the server says. */
  servedVersion: number | null;
}

const RETURN_IDS_HINT =
  "RL needs the prompt and sampled token ids: use vLLM >= 0.10.2 (it honours return_token_ids), the mlerl reference trainer, or another server that returns token_ids and prompt_token_ids";
const LOGPROBS_HINT =
  "RL needs the log-probability of every sampled token: the server must honour `logprobs` (vLLM: start it with --logprobs-mode processed_logprobs)";

/**
 * Checks and unpacks a reply. Exported for tests; `url` names the endpoint in every error.
 */
export function readReply(api: OpenAIApi, json: unknown, url: string): SampledReply {
  const fail = (issue: z.core.$ZodIssue | undefined): never => {
    throw new UserError(
      `${url} sent a reply this client cannot read: field ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
      `check that the server speaks the OpenAI ${api === "chat" ? "chat completions" : "completions"} API (or switch --api)`,
    );
  };
  let reply: { model?: string | undefined; prompt_token_ids?: number[] | null | undefined; adapter_version?: number | null | undefined };
  let choice:
    | { token_ids?: number[] | null | undefined; prompt_token_ids?: number[] | null | undefined; finish_reason?: string | null | undefined }
    | undefined;
  let raw: (number | null)[] | null | undefined;
  let text = "";
  if (api === "chat") {
    const r = ChatReply.safeParse(json);
    if (!r.success) return fail(r.error.issues[0]);
    reply = r.data;
    const c = r.data.choices[0];
    choice = c;
    raw = c?.logprobs?.content?.map((x) => x.logprob);
    text = c?.message.content ?? "";
  } else {
    const r = CompletionsReply.safeParse(json);
    if (!r.success) return fail(r.error.issues[0]);
    reply = r.data;
    const c = r.data.choices[0];
    choice = c;
    raw = c?.logprobs?.token_logprobs;
    text = c?.text ?? "";
  }
  if (!choice) throw new UserError(`${url} replied without any choice`, "check the server's log; the request asked for one completion");
  const promptTokens = choice.prompt_token_ids ?? reply.prompt_token_ids;
  if (!promptTokens || promptTokens.length === 0) throw new UserError(`${url} returned no prompt_token_ids`, RETURN_IDS_HINT);
  const tokens = choice.token_ids;
  if (!tokens) throw new UserError(`${url} returned no token_ids for the completion`, RETURN_IDS_HINT);
  if (!raw) throw new UserError(`${url} returned no logprobs`, LOGPROBS_HINT);
  if (raw.length !== tokens.length) {
    throw new UserError(
      `${url} returned ${tokens.length} token ids but ${raw.length} logprobs`,
      "the two must describe the same tokens; check the server version and that no stop string was cut from the output",
    );
  }
  const logprobs: number[] = [];
  for (const [i, lp] of raw.entries()) {
    if (lp === null || !Number.isFinite(lp) || lp > 1e-6)
      throw new UserError(`${url} returned an invalid logprob (${lp}) for token ${i}`, LOGPROBS_HINT);
    logprobs.push(Math.min(0, lp));
  }
  const fromName = reply.model ? ADAPTER_VERSION.exec(reply.model) : null;
  const servedVersion = reply.adapter_version ?? (fromName ? Number(fromName[1]) : null);
  return { text, promptTokens, tokens, logprobs, finished: choice.finish_reason === "stop", servedVersion };
}

/** The improve prompt's view of an earlier attempt. Its output already had the markers removed. */
function previousInput(p: PreviousAttempt) {
  return {
    code: p.text,
    output: p.output ?? "",
    validationMetric: p.validationScore ?? null,
    validSubmission: p.failure === "none",
    // The reward can reveal the hidden test score of a valid submission; the agent sees its own metric instead.
    reward: null,
    summary: p.failure === "none" ? "" : `it ended with ${p.failure.replace("_", " ")} after reaching stage '${p.stageReached}'`,
  };
}

export class OpenAISampler implements Sampler {
  readonly name = "openai";
  private readonly client: OpenAIClient;
  private readonly templates: Templates;
  private readonly overviews = new Map<string, Promise<ScratchInput>>();
  private lastServed = 0;

  constructor(private readonly opts: OpenAISamplerOptions) {
    if (!Number.isInteger(opts.maxTokens) || opts.maxTokens < 1)
      throw new UserError(`max tokens must be a positive integer, got ${opts.maxTokens}`, "e.g. --max-tokens 2048");
    this.client = new OpenAIClient(opts);
    this.templates = opts.templates ?? loadTemplates();
  }

  version(): number {
    return this.opts.version?.() ?? this.lastServed;
  }

  /** The rendered prompt of one request (what the model is asked, before any chat template). */
  async render(req: SampleRequest): Promise<string> {
    let base = this.overviews.get(req.task.id);
    if (!base) {
      base = scratchInputOf(req.task, this.opts.publicDirOf(req.task), { timeLimitSec: this.opts.timeLimitSec });
      this.overviews.set(req.task.id, base);
      // A failed overview must not stay cached: the next request tries again.
      base.catch(() => this.overviews.delete(req.task.id));
    }
    const input = await base;
    if (req.kind === "scratch") return renderScratch(this.templates, input);
    return renderImprove(this.templates, { ...input, previous: previousInput(req.previous) }, { stripMarkers: (s) => s });
  }

  async sample(requests: SampleRequest[], options: SampleOptions): Promise<Completion[]> {
    return Promise.all(requests.map((req, i) => this.sampleOne(req, options.seed + i)));
  }

  private async sampleOne(req: SampleRequest, seed: number): Promise<Completion> {
    const prompt = await this.render(req);
    const api = this.opts.api ?? "chat";
    const expected = this.version();
    const model = typeof this.opts.model === "string" ? this.opts.model : this.opts.model(expected);
    const common = { model, max_tokens: this.opts.maxTokens, temperature: 1, top_p: 1, seed: seed % 2 ** 31, return_token_ids: true };
    const body =
      api === "chat" ? { ...common, messages: [{ role: "user", content: prompt }], logprobs: true } : { ...common, prompt, logprobs: 1 };
    const path = api === "chat" ? "chat/completions" : "completions";
    const reply = readReply(api, await this.client.post(path, body), this.client.url(path));
    const version = reply.servedVersion ?? expected;
    this.lastServed = version;
    const parsed = parseResponse(reply.text);
    // A response without code still runs (and fails), so the policy learns from it like from any other failure.
    const text = parsed.ok ? parsed.code : reply.text;
    return { promptTokens: reply.promptTokens, tokens: reply.tokens, logprobs: reply.logprobs, text, version, finished: reply.finished };
  }
}
