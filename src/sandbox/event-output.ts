import type { TwinEvent } from '../domain/events.js';
import { asciiBytes, putBytes, putTenths, putUint } from './ascii-bytes.js';
import { NOT_WRITTEN, putJson } from './json-bytes.js';

/**
 * Where the generator puts events. Usage is nine events in ten, so it has its own call that
 * takes plain values (no object per event on the text path); every other kind arrives as a
 * ready `TwinEvent`. Both paths produce the same JSON text for the same event.
 */
export interface EventOutput {
  /**
   * `slot` identifies the customer within its world (stable), so outputs may cache per-customer
   * text; the event id is `idPrefix + idSeq` (passed apart so the text path builds no id string).
   */
  usage(slot: number, idPrefix: string, idSeq: number, customerId: string, time: string, subscriptionId: string, dataMb: number, voiceMin: number, sms: number, roaming: boolean, cellId: string, siteId: string): void;
  event(e: TwinEvent): void;
}

/** The event source stamped on everything the sandbox produces. */
export const SANDBOX_SOURCE = 'sandbox';

/** Builds the usage event object, with keys in the same order as the text path writes them. */
export function usageEvent(
  id: string,
  customerId: string,
  time: string,
  subscriptionId: string,
  dataMb: number,
  voiceMin: number,
  sms: number,
  roaming: boolean,
  cellId: string,
  siteId: string,
): TwinEvent {
  return {
    id,
    customerId,
    time,
    source: SANDBOX_SOURCE,
    v: 1,
    kind: 'usage',
    data: { subscriptionId, dataMb, voiceMin, sms, roaming, cellId, siteId },
  };
}

/** Collects events as objects (the sink path, live mode and tests). */
export class ArrayOutput implements EventOutput {
  events: TwinEvent[] = [];
  usage(_slot: number, idPrefix: string, idSeq: number, customerId: string, time: string, subscriptionId: string, dataMb: number, voiceMin: number, sms: number, roaming: boolean, cellId: string, siteId: string): void {
    this.events.push(usageEvent(idPrefix + idSeq, customerId, time, subscriptionId, dataMb, voiceMin, sms, roaming, cellId, siteId));
  }
  event(e: TwinEvent): void {
    this.events.push(e);
  }
  /** Hands over what was collected and starts afresh. */
  drain(): TwinEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }
}

/**
 * JSON text of a non-negative number with at most one decimal, as JSON.stringify would write it,
 * without the general double-to-string conversion (the slowest part of writing usage otherwise).
 */
export function tenths(x: number): string {
  const k = Math.round(x * 10);
  if (k >= 1e15 || x < 0) return String(x);
  const r = k % 10;
  return r === 0 ? String(k / 10) : Math.floor(k / 10) + DECIMALS[r];
}

const DECIMALS = ['.0', '.1', '.2', '.3', '.4', '.5', '.6', '.7', '.8', '.9'];

/** Chunk size for the text path: big writes, few system calls. */
export const NDJSON_CHUNK_CHARS = 1 << 20;

/** Room left in a chunk buffer beyond the chunk size, so a long line never has to be split. */
const CHUNK_SLACK = 256 * 1024;
/** A chunk buffer's size. */
const CHUNK_BYTES = NDJSON_CHUNK_CHARS + CHUNK_SLACK;

/**
 * Builds NDJSON straight into byte chunks of about a megabyte and hands each to `write`, which
 * takes ownership of it. Usage lines are written byte by byte from cached pieces (no strings
 * built at all); ids, customer ids and times are plain ASCII made by the generator, so they
 * need no escaping. Other events are written by `putJson` (same text as JSON.stringify, straight
 * into the chunk), or by JSON.stringify as UTF-8 when they carry text it leaves alone (escapes,
 * non-ASCII configured names).
 * One instance serves one world: per-customer text is cached by slot.
 *
 * `write` takes ownership of each chunk (a view of the whole chunk buffer, `whole`); `spare`
 * hands a whole buffer back once its write is done, so the next chunk reuses it. A fresh
 * megabyte a chunk counts as external memory to V8, which then ran a full collection every few
 * dozen chunks ("external memory pressure"): a tenth of the generator's time.
 */
export class NdjsonOutput implements EventOutput {
  private buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private off = 0;
  /**
   * Per-customer pieces of a usage line, as bytes: `","customerId":"…","time":"` and `…","dataMb":`
   * (the subscription id). Kept short (V8 keeps typed arrays of up to 64 bytes in its heap, beside
   * each other, where longer ones are each a separate allocation: a cache miss per line).
   */
  private readonly head: Uint8Array[] = [];
  private readonly sub: Uint8Array[] = [];
  private time = '';
  private idPrefix = '';
  private idOpen: Uint8Array = new Uint8Array(0);
  /** The day's piece every customer shares: the time and what follows it up to the subscription id. */
  private timeMid: Uint8Array = new Uint8Array(0);
  /** The closing piece of a usage line per cell: `,"cellId":…,"siteId":…}}\n`. */
  private readonly cellTail = new Map<string, Uint8Array>();
  count = 0;

  constructor(
    private readonly write: (chunk: Buffer, whole: Buffer) => void,
    private readonly spare: (bytes: number) => Buffer | undefined = () => undefined,
  ) {}

  usage(slot: number, idPrefix: string, idSeq: number, customerId: string, time: string, subscriptionId: string, dataMb: number, voiceMin: number, sms: number, roaming: boolean, cellId: string, siteId: string): void {
    if (idPrefix !== this.idPrefix) {
      this.idPrefix = idPrefix;
      this.idOpen = asciiBytes('{"id":"' + idPrefix);
    }
    let head = this.head[slot];
    let sub = this.sub[slot];
    if (head === undefined) {
      head = this.head[slot] = asciiBytes('","customerId":"' + customerId + '","time":"');
      sub = this.sub[slot] = asciiBytes(subscriptionId + '","dataMb":');
    }
    if (time !== this.time) {
      this.time = time;
      this.timeMid = asciiBytes(time + '","source":"sandbox","v":1,"kind":"usage","data":{"subscriptionId":"');
    }
    const b = this.buf;
    let o = putBytes(b, this.off, this.idOpen);
    o = putUint(b, o, idSeq);
    // Pieces of 12 bytes and more go by TypedArray#set (a memcpy: about 20 ns whatever the
    // length, where a loop takes 1.6 ns a byte), shorter ones by a loop (cheaper than the call).
    b.set(head, o);
    o += head.length;
    b.set(this.timeMid, o);
    o += this.timeMid.length;
    b.set(sub, o);
    o += sub.length;
    o = putTenths(b, o, dataMb);
    o = putBytes(b, o, VOICE);
    o = putTenths(b, o, voiceMin);
    o = putBytes(b, o, SMS);
    o = putUint(b, o, sms);
    const roam = roaming ? ROAMING_TRUE : ROAMING_FALSE;
    b.set(roam, o);
    o += roam.length;
    let tail = this.cellTail.get(cellId);
    if (tail === undefined) this.cellTail.set(cellId, (tail = asciiBytes(',"cellId":"' + cellId + '","siteId":"' + siteId + '"}}\n')));
    b.set(tail, o);
    this.off = o + tail.length;
    this.count++;
    if (this.off > NDJSON_CHUNK_CHARS) this.flush();
  }

  event(e: TwinEvent): void {
    this.count++;
    // The chunk never passes NDJSON_CHUNK_CHARS between events, so CHUNK_SLACK is free here.
    const o = putJson(this.buf, this.off, e, this.buf.length - 1);
    if (o !== NOT_WRITTEN) {
      this.buf[o] = 10; // \n
      this.off = o + 1;
    } else {
      // Escapes, non-ASCII text (configured plan names, descriptions: written as UTF-8) or a long event.
      const text = JSON.stringify(e) + '\n';
      const maxBytes = Buffer.byteLength(text, 'utf8');
      if (this.off + maxBytes > this.buf.length) {
        this.flush();
        if (maxBytes > this.buf.length) {
          const long = Buffer.from(text, 'utf8');
          this.write(long, long);
          return;
        }
      }
      this.off += this.buf.write(text, this.off, 'utf8');
    }
    if (this.off > NDJSON_CHUNK_CHARS) this.flush();
  }

  /** Hands over whatever is buffered. */
  flush(): void {
    if (this.off > 0) {
      const whole = this.buf;
      this.write(whole.subarray(0, this.off), whole);
      this.buf = this.spare(CHUNK_BYTES) ?? Buffer.allocUnsafe(CHUNK_BYTES);
      this.off = 0;
    }
  }
}

const VOICE = asciiBytes(',"voiceMin":');
const SMS = asciiBytes(',"sms":');
const ROAMING_TRUE = asciiBytes(',"roaming":true');
const ROAMING_FALSE = asciiBytes(',"roaming":false');
