/** Reaching a trainer server: its address, its capabilities, whether it also serves sampling. */
import { z } from "zod";
import { UserError } from "../errors.js";
import { apiRoot } from "../llm/openai-client.js";
import { HttpTrainer } from "./http.js";

/** What this module reads from GET /capabilities (other fields are the trainer's business). */
export const TrainerCapabilities = z
  .object({
    protocol: z.number().int(),
    model: z.string(),
    vllm: z.string().nullish(),
    adapterName: z.string().nullish(),
  })
  .loose();
export type TrainerCapabilities = z.infer<typeof TrainerCapabilities>;

/** The trainer URL without a trailing slash or `/v1`, for messages and comparisons. */
export function serverRoot(url: string): string {
  return apiRoot(url).replace(/\/v1$/, "");
}

/** True when sampling and training are one server (compared by host and port, so localhost = 127.0.0.1). */
export function sameServer(a: string, b: string): boolean {
  const norm = (u: string) => {
    const url = new URL(serverRoot(u));
    const host = url.hostname === "localhost" || url.hostname === "[::1]" ? "127.0.0.1" : url.hostname;
    return `${url.protocol}//${host}:${url.port || (url.protocol === "https:" ? "443" : "80")}${url.pathname.replace(/\/+$/, "")}`;
  };
  return norm(a) === norm(b);
}

/** Connects to the trainer (health, protocol, capabilities); a trainer that is not there is a user error naming its URL. */
export async function connectTrainer(trainerUrl: string): Promise<{ trainer: HttpTrainer; caps: TrainerCapabilities }> {
  const trainer = await HttpTrainer.connect(trainerUrl);
  const caps = TrainerCapabilities.safeParse(await trainer.capabilities());
  if (!caps.success)
    throw new UserError(
      `the trainer at ${trainer.url} sent capabilities without a model name`,
      "check that --trainer-url points at an mlerl trainer server",
    );
  return { trainer, caps: caps.data };
}
