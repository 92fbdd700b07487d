import type { IdNames } from './twin-reducer.js';

type Pairs = [number, string][];

/** Names behind hashed ids, kept for display and persisted with checkpoints. */
export class NameBook implements IdNames {
  readonly subscriptions = new Map<number, string>();
  readonly products = new Map<number, string>();
  /** Cell names by hash, and the site each cell belongs to (as usage records name them). */
  readonly cells = new Map<number, string>();
  readonly cellSites = new Map<number, string>();
  subscription(hash: number, name: string): void {
    if (!this.subscriptions.has(hash)) this.subscriptions.set(hash, name);
  }
  product(hash: number, name: string): void {
    if (!this.products.has(hash)) this.products.set(hash, name);
  }
  cell(hash: number, name: string, siteId: string | undefined): void {
    if (!this.cells.has(hash)) this.cells.set(hash, name);
    if (siteId !== undefined && this.cellSites.get(hash) !== siteId) this.cellSites.set(hash, siteId);
  }
  toJSON(): { subscriptions: Pairs; products: Pairs; cells: Pairs; cellSites: Pairs } {
    const sorted = (m: Map<number, string>) => [...m.entries()].sort((a, b) => a[0] - b[0]);
    return { subscriptions: sorted(this.subscriptions), products: sorted(this.products), cells: sorted(this.cells), cellSites: sorted(this.cellSites) };
  }
  /** Loads a checkpoint's names (checkpoints written before cells were kept have none). */
  load(json: { subscriptions: Pairs; products: Pairs; cells?: Pairs; cellSites?: Pairs }): void {
    for (const [k, v] of json.subscriptions) this.subscriptions.set(k, v);
    for (const [k, v] of json.products) this.products.set(k, v);
    for (const [k, v] of json.cells ?? []) this.cells.set(k, v);
    for (const [k, v] of json.cellSites ?? []) this.cellSites.set(k, v);
  }
}
