import type { IdNames } from './twin-reducer.js';

/** Names behind hashed ids, kept for display and persisted with checkpoints. */
export class NameBook implements IdNames {
  readonly subscriptions = new Map<number, string>();
  readonly products = new Map<number, string>();
  subscription(hash: number, name: string): void {
    if (!this.subscriptions.has(hash)) this.subscriptions.set(hash, name);
  }
  product(hash: number, name: string): void {
    if (!this.products.has(hash)) this.products.set(hash, name);
  }
  toJSON(): { subscriptions: [number, string][]; products: [number, string][] } {
    const sorted = (m: Map<number, string>) => [...m.entries()].sort((a, b) => a[0] - b[0]);
    return { subscriptions: sorted(this.subscriptions), products: sorted(this.products) };
  }
  load(json: { subscriptions: [number, string][]; products: [number, string][] }): void {
    for (const [k, v] of json.subscriptions) this.subscriptions.set(k, v);
    for (const [k, v] of json.products) this.products.set(k, v);
  }
}
