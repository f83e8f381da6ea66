/**
 * The LM instrumenter: a frozen language model (the base model with no adapter, "base" on the mlerl reference
 * trainer, or a named base model on vLLM) is asked to copy the program and insert marker print lines. Its answer
 * is a proposal only: use it through CheckedInstrumenter, which keeps it only if deleting the marker lines gives
 * back the original exactly and every marker is a statement of its own, and otherwise falls back to the AST
 * instrumenter and records why.
 *
 * The model never sees the execution's nonce: the prompt uses a fixed placeholder tag, replaced by the nonce in
 * the answer's marker lines only. The secret thus stays out of prompts and server logs, and a small model has a
 * short word to copy instead of 48 hex digits.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { repoRoot } from "../paths.js";
import { parseResponse } from "../agent/response.js";
import { OpenAIClient, type OpenAIClientOptions } from "../llm/openai-client.js";
import { assertNonce } from "./nonce.js";
import { checkInstrumented, splitLines } from "./text.js";
import { MARKER_KINDS, milestonesOf, type Instrumenter, type InstrumentResult } from "./types.js";

export interface LmInstrumenterOptions extends OpenAIClientOptions {
  /** The frozen model's name on the server ("base" on the mlerl reference trainer). */
  model: string;
  api?: "chat" | "completions";
  /** Most tokens the answer may have; default: enough for the program plus its markers. */
  maxTokens?: number;
  /** The prompt template (default prompts/instrument.md); `{{program}}` and `{{tag}}` are filled in. */
  promptFile?: string;
}

/** Stands for the nonce in the prompt; letters only, so it cannot collide with a hex nonce. */
export const TAG_PLACEHOLDER = "TAG";

export function defaultInstrumentPrompt(): string {
  return join(repoRoot(), "prompts", "instrument.md");
}

function readPrompt(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8").replace(/\r\n?/g, "\n");
  } catch {
    throw new UserError(`cannot read the instrumenter prompt ${path}`, "check that the file exists and is readable");
  }
  for (const p of ["program", "tag"]) {
    if (!text.includes(`{{${p}}}`))
      throw new UserError(
        `instrumenter prompt ${path} is missing the placeholder {{${p}}}`,
        "the prompt must contain {{program}} and {{tag}}",
      );
  }
  return text;
}

const Reply = z
  .object({
    choices: z
      .array(z.object({ text: z.string().optional(), message: z.object({ content: z.string().nullish() }).loose().optional() }).loose())
      .min(1),
  })
  .loose();

const MARKER_WITH_PLACEHOLDER = new RegExp(
  String.raw`^([ \t]*print\("@@mlerl:)${TAG_PLACEHOLDER}( (?:${MARKER_KINDS.join("|")})"(?:, [A-Za-z_][\w.]*)?\)[ \t]*\r?)$`,
);

/** Puts the nonce into the answer's marker lines, and nowhere else. */
export function fillTag(text: string, nonce: string): string {
  return text
    .split("\n")
    .map((line) => line.replace(MARKER_WITH_PLACEHOLDER, `$1${nonce}$2`))
    .join("\n");
}

/**
 * The program in an answer. The agent's programs are already in the response parser's normal form, so the
 * parser's code usually lines up with the original; the raw answer and a last-newline fix are tried too.
 */
export function programOf(answer: string, original: string): string[] {
  const parsed = parseResponse(answer);
  const candidates = parsed.ok ? [parsed.code, answer] : [answer];
  const out: string[] = [];
  for (const c of candidates) {
    out.push(c);
    if (!original.endsWith("\n") && c.endsWith("\n")) out.push(c.slice(0, -1));
    if (original.endsWith("\n") && !c.endsWith("\n")) out.push(`${c}\n`);
  }
  return [...new Set(out)];
}

export class LmInstrumenter implements Instrumenter {
  readonly name = "lm";
  private readonly client: OpenAIClient;
  private readonly template: string;

  constructor(private readonly opts: LmInstrumenterOptions) {
    this.client = new OpenAIClient(opts);
    this.template = readPrompt(opts.promptFile ?? defaultInstrumentPrompt());
  }

  prompt(code: string): string {
    const program = code.endsWith("\n") ? code : `${code}\n`;
    // One pass, so a program that itself contains "{{tag}}" is left as it is.
    return this.template.replace(/\{\{(program|tag)\}\}/g, (_, name: string) => (name === "program" ? program : TAG_PLACEHOLDER));
  }

  async instrument(code: string, nonce: string): Promise<InstrumentResult> {
    assertNonce(nonce);
    const api = this.opts.api ?? "chat";
    const prompt = this.prompt(code);
    // Room for the program once more plus a marker line per statement (code runs ~3-4 characters a token).
    const maxTokens = this.opts.maxTokens ?? Math.min(16_384, Math.ceil(code.length / 2) + 40 * splitLines(code).length + 256);
    // Greedy: the instrumenter is a fixed function of the program. `allow_tempered` lets the reference trainer
    // accept a temperature other than 1 (other servers ignore the field).
    const common = { model: this.opts.model, max_tokens: maxTokens, temperature: 0, allow_tempered: true };
    const path = api === "chat" ? "chat/completions" : "completions";
    const body = api === "chat" ? { ...common, messages: [{ role: "user", content: prompt }] } : { ...common, prompt };
    const json = await this.client.post(path, body);
    const reply = Reply.safeParse(json);
    if (!reply.success)
      throw new Error(`${this.client.url(path)} sent a reply without choices[0].${api === "chat" ? "message.content" : "text"}`);
    const choice = reply.data.choices[0]!;
    const answer = (api === "chat" ? choice.message?.content : choice.text) ?? "";
    const candidates = programOf(
      fillTag(
        answer.replace(/\r\n?/g, (m) => (code.includes("\r") ? m : "\n")),
        nonce,
      ),
      code,
    );
    // The first candidate whose text passes is returned; the caller's full check (structure too) decides.
    for (const c of candidates) {
      const check = checkInstrumented(code, c, nonce);
      if (!check.ok) continue;
      // A faithful copy without markers passes the check but would cost the rollout its partial credit.
      if (check.sites.length === 0) throw new Error("the model inserted no marker");
      // The profile is not this class's to judge: CheckedInstrumenter takes the AST instrumenter's verdict.
      return { code: c, sites: check.sites, milestones: milestonesOf(check.sites), parsed: true, tampering: null };
    }
    const first = checkInstrumented(code, candidates[0]!, nonce);
    return {
      code: candidates[0]!,
      sites: [],
      milestones: [],
      parsed: true,
      note: first.ok ? undefined : `answer rejected: ${first.reason}`,
      tampering: null,
    };
  }
}
