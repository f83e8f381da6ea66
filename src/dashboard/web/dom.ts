/**
 * Building the page from data with DOM calls only: text goes in as text nodes, attributes through a short list
 * of names, and links only to this page's own hash routes. Nothing here parses a string as HTML.
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = {
  class?: string;
  title?: string;
  href?: string;
  id?: string;
  type?: string;
  value?: string;
  colspan?: number;
  "data-id"?: string;
  "data-key"?: string;
};

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    // Only this page's own routes: an agent-chosen string never becomes a javascript: or remote URL.
    if (k === "href" && !String(v).startsWith("#/") && !String(v).startsWith("/api/")) continue;
    el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return Math.abs(x) >= 1000 ? x.toFixed(0) : Number(x.toPrecision(digits)).toString();
}

export function fmtSec(x: number | null | undefined): string {
  return x === null || x === undefined ? "–" : `${x.toFixed(1)} s`;
}

export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h("a", { href }, ...children);
}

/** A labelled value pair list. */
export function facts(pairs: readonly [string, Child][]): HTMLElement {
  const dl = h("dl", { class: "facts" });
  for (const [k, v] of pairs) append(dl, h("dt", {}, k), h("dd", {}, v));
  return dl;
}

export function message(kind: "error" | "note", text: string): HTMLElement {
  return h("p", { class: `msg ${kind}` }, text);
}
