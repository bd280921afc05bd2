/**
 * Mermaid's own parser, in Node, for the diagram tests.
 *
 * `mermaid.parse` is the real parser GitHub's renderer runs (same package,
 * pinned in devDependencies). Sequence and ER diagrams parse without a DOM,
 * but state and flowchart labels are sanitised with DOMPurify, which needs a
 * `window`: a jsdom window is installed as `globalThis.window` before mermaid
 * (and with it DOMPurify) is first imported. Nothing is rendered. (happy-dom,
 * lighter, is not enough: with it DOMPurify drops the text before a `<br/>`,
 * so labels would not read as a browser reads them.)
 *
 * Besides "does it parse", tests need what a diagram names: the parsed
 * diagram's own model (`diagram.db`, mermaid's internal API at this pinned
 * version) gives participants, messages, states, entities and edges, so no
 * diagram text is picked apart by regular expressions here.
 */
import { JSDOM } from "jsdom";

type Mermaid = (typeof import("mermaid"))["default"];

let loaded: Promise<Mermaid> | undefined;

function mermaid(): Promise<Mermaid> {
  loaded ??= (async () => {
    const g = globalThis as { window?: unknown };
    g.window ??= new JSDOM("").window;
    const m = (await import("mermaid")).default;
    m.initialize({ startOnLoad: false });
    return m;
  })();
  return loaded;
}

/** The code of every ```mermaid fence in a Markdown text, in order. */
export function mermaidBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```mermaid") continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== "```"; i++) body.push(lines[i]!);
    if (i === lines.length) throw new Error("a ```mermaid fence is never closed");
    blocks.push(body.join("\n"));
  }
  return blocks;
}

/** One thing a diagram shows, as text (a participant, a message, a label). */
export interface Named {
  /** Where it came from in the diagram, for error messages. */
  where: string;
  text: string;
}

export interface ErAttribute {
  type: string;
  name: string;
  keys: string[];
}

export interface ErRelationship {
  /** Left entity, its cardinality (at the left end), right entity, its cardinality. */
  left: string;
  leftCard: string;
  right: string;
  rightCard: string;
  label: string;
}

export interface StateEdge {
  start: string;
  end: string;
  label: string;
  /** From a `[*]` start. */
  fromStart: boolean;
  /** To a `[*]` end. */
  toEnd: boolean;
}

export type Parsed =
  | { type: "sequence"; participants: Named[]; texts: Named[] }
  | { type: "state"; states: string[]; edges: StateEdge[]; texts: Named[] }
  | { type: "er"; entities: Map<string, ErAttribute[]>; relationships: ErRelationship[]; texts: Named[] }
  | { type: "flowchart"; nodes: { id: string; label: string; parent?: string }[]; texts: Named[] };

/** Parses with Mermaid (throws Mermaid's parse error) and returns what the diagram names. */
export async function parseMermaid(code: string): Promise<Parsed> {
  const m = await mermaid();
  await m.parse(code); // throws on any syntax error
  const diagram = await m.mermaidAPI.getDiagramFromText(code);
  const db = diagram.db as any;
  switch (diagram.type) {
    case "sequence": {
      const participants = [...(db.getActors() as Map<string, { name: string; description: string }>).values()]
        .map((a) => ({ where: `participant ${a.name}`, text: a.description }));
      // Messages, notes and block labels (alt, else, opt…); `autonumber` is
      // a message too, whose `message` is its settings object.
      const texts = (db.getMessages() as { from?: string; to?: string; message: unknown }[])
        .filter((msg): msg is { from?: string; to?: string; message: string } =>
          typeof msg.message === "string" && msg.message !== ""
        )
        .map((msg) => ({ where: msg.from ? `${msg.from} → ${msg.to}` : "block label", text: msg.message }));
      return { type: "sequence", participants, texts };
    }
    case "stateDiagram": {
      const data = db.getData() as {
        nodes: { id: string; label: string; isGroup: boolean; shape: string }[];
        edges: { start: string; end: string; label?: string }[];
      };
      const states = data.nodes
        .filter((n) => !n.isGroup && n.shape !== "stateStart" && n.shape !== "stateEnd")
        .map((n) => n.id);
      const shape = new Map(data.nodes.map((n) => [n.id, n.shape]));
      const edges = data.edges.map((e) => ({
        start: e.start,
        end: e.end,
        label: e.label ?? "",
        fromStart: shape.get(e.start) === "stateStart",
        toEnd: shape.get(e.end) === "stateEnd",
      }));
      const texts = edges
        .filter((e) => e.label)
        .map((e) => ({ where: `${e.start} → ${e.end}`, text: e.label }));
      return { type: "state", states, edges, texts };
    }
    case "er": {
      const entities = new Map<string, ErAttribute[]>();
      const ids = new Map<string, string>();
      for (const [name, entity] of db.getEntities() as Map<string, { id: string; attributes: ErAttribute[] }>) {
        entities.set(name, entity.attributes.map((a) => ({ type: a.type, name: a.name, keys: a.keys })));
        ids.set(entity.id, name);
      }
      // Mermaid's relSpec: cardB is drawn at entityA's end, cardA at entityB's.
      const relationships = (db.getRelationships() as {
        entityA: string;
        entityB: string;
        roleA: string;
        relSpec: { cardA: string; cardB: string };
      }[]).map((r) => ({
        left: ids.get(r.entityA) ?? r.entityA,
        leftCard: r.relSpec.cardB,
        right: ids.get(r.entityB) ?? r.entityB,
        rightCard: r.relSpec.cardA,
        label: r.roleA,
      }));
      return { type: "er", entities, relationships, texts: [] };
    }
    case "flowchart-v2":
    case "flowchart": {
      const parents = new Map<string, string>();
      for (const sub of db.getSubGraphs() as { id: string; nodes: string[] }[]) {
        for (const node of sub.nodes) parents.set(node, sub.id);
      }
      const nodes = [...(db.getVertices() as Map<string, { id: string; text?: string }>).values()]
        .map((v) => ({ id: v.id, label: v.text ?? v.id, parent: parents.get(v.id) }));
      return { type: "flowchart", nodes, texts: nodes.map((n) => ({ where: `node ${n.id}`, text: n.label })) };
    }
    default:
      throw new Error(`no name extraction for ${diagram.type} diagrams`);
  }
}
