export type PromptKind = "scratch" | "improve";
