import type { TwinName } from '../store/partition-checkpoints.js';
import type { IdNames } from './twin-reducer.js';

type Pairs = [number, string][];

/** How many names of each kind a NameBook had (see `namesSince`). */
export interface NameMarks {
  readonly subscriptions: number;
  readonly products: number;
  readonly cells: number;
}

/**
 * Names behind hashed ids, kept for display and persisted with checkpoints. Change them only
 * through the methods: `text()` is kept until one of them changes a name.
 */
export class NameBook implements IdNames {
  readonly subscriptions = new Map<number, string>();
  readonly products = new Map<number, string>();
  /** Cell names by hash, and the site each cell belongs to (as usage records name them). */
  readonly cells = new Map<number, string>();
  readonly cellSites = new Map<number, string>();
  /** `JSON.stringify(toJSON())` while no name has changed since it was made. */
  private kept: string | undefined;
  subscription(hash: number, name: string): void {
    if (this.subscriptions.has(hash)) return;
    this.subscriptions.set(hash, name);
    this.kept = undefined;
  }
  product(hash: number, name: string): void {
    if (this.products.has(hash)) return;
    this.products.set(hash, name);
    this.kept = undefined;
  }
  cell(hash: number, name: string, siteId: string | undefined): void {
    if (!this.cells.has(hash)) {
      this.cells.set(hash, name);
      this.kept = undefined;
    }
    if (siteId !== undefined && this.cellSites.get(hash) !== siteId) {
      this.cellSites.set(hash, siteId);
      this.kept = undefined;
    }
  }
  toJSON(): { subscriptions: Pairs; products: Pairs; cells: Pairs; cellSites: Pairs } {
    const sorted = (m: Map<number, string>) => [...m.entries()].sort((a, b) => a[0] - b[0]);
    return { subscriptions: sorted(this.subscriptions), products: sorted(this.products), cells: sorted(this.cells), cellSites: sorted(this.cellSites) };
  }
  /**
   * `toJSON()` as JSON text, made again only after a name changed. Every checkpoint slice writes
   * it (the default world's book: some 100,000 names sorted and stringified, tens of ms of the
   * event loop each time, 20 % of the live server's main thread, BENCHMARKS.md); names change
   * rarely once a world is live.
   */
  text(): string {
    this.kept ??= JSON.stringify(this.toJSON());
    return this.kept;
  }
  /**
   * The names learnt since `marks` (how many of each kind were seen then; names are only ever
   * added, in order), every cell's site (a cell may move), and the marks to pass next time:
   * what a partition checkpoint stores beside its twins.
   */
  namesSince(marks: NameMarks = { subscriptions: 0, products: 0, cells: 0 }): { names: TwinName[]; marks: NameMarks } {
    const after = (m: Map<number, string>, from: number, kind: TwinName['kind']) => [...m].slice(from).map(([hash, name]): TwinName => ({ kind, hash, name }));
    const names = [
      ...after(this.subscriptions, marks.subscriptions, 'subscription'),
      ...after(this.products, marks.products, 'product'),
      ...after(this.cells, marks.cells, 'cell'),
      ...after(this.cellSites, 0, 'cellSite'),
    ];
    return { names, marks: { subscriptions: this.subscriptions.size, products: this.products.size, cells: this.cells.size } };
  }
  /** Adds stored names (a partition checkpoint's). */
  add(names: readonly TwinName[]): void {
    this.kept = undefined;
    for (const n of names) {
      if (n.kind === 'subscription') this.subscription(n.hash, n.name);
      else if (n.kind === 'product') this.product(n.hash, n.name);
      else if (n.kind === 'cell') {
        if (!this.cells.has(n.hash)) this.cells.set(n.hash, n.name);
      }
      else this.cellSites.set(n.hash, n.name);
    }
  }
  /** Loads a checkpoint's names (checkpoints written before cells were kept have none). */
  load(json: { subscriptions: Pairs; products: Pairs; cells?: Pairs; cellSites?: Pairs }): void {
    this.kept = undefined;
    for (const [k, v] of json.subscriptions) this.subscriptions.set(k, v);
    for (const [k, v] of json.products) this.products.set(k, v);
    for (const [k, v] of json.cells ?? []) this.cells.set(k, v);
    for (const [k, v] of json.cellSites ?? []) this.cellSites.set(k, v);
  }
}
