/** Reads the dashboard's JSON endpoints (same origin: the token, if any, travels as the cookie the server set). */
export class ApiError extends Error {}

export async function getJson<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const res = await fetch(`${path}${q.size ? `?${q}` : ""}`, { credentials: "same-origin", cache: "no-store" });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(`${path}: ${res.status} ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const error = body !== null && typeof body === "object" && "error" in body ? String(body.error) : `HTTP ${res.status}`;
    throw new ApiError(error);
  }
  return body as T;
}
