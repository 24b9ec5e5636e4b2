/**
 * Admission of scoring requests, decided when a request's headers arrive, before its body is
 * read. The service's memory grows with the request bodies it holds, so a burst of clients
 * must not get all their bodies read and parsed only for most of them to be refused once their
 * items are counted (what happened with a check on pending items alone: 256 clients sending
 * 256-item batches at once all passed it, since none of their items was pending yet).
 *
 * Two limits, each with 429 + Retry-After beyond it:
 * - items: those pending in the scoring pool plus those the bodies still being read probably
 *   hold (their bytes ÷ the mean bytes per item of recent requests, at most `maxItems` each)
 *   stay within `maxQueue`; the exact count is checked again once the body is parsed;
 * - bytes: the bodies held at once (being read, parsed, or waiting for their answers) stay
 *   within `maxHeldBytes`, so that memory is bounded whatever the length of the responses.
 * A request arriving when nothing is pending or held is always admitted, so none starves.
 */

export interface AdmissionLimits {
  /** Most items pending (queued or on a worker) plus expected in bodies being read. */
  maxQueue: number;
  /** Most items in one request: the most a body being read can be expected to hold. */
  maxItems: number;
  /** Most request-body bytes held at once. */
  maxHeldBytes: number;
}

/** One admitted request's share of the limits; `release` when its answer is sent or it is dropped. */
export interface Ticket {
  /** Body bytes that arrived without a Content-Length announcing them (chunked uploads). */
  grow(bytes: number): void;
  /** The body is parsed into `items` items, which the pool now counts. */
  parsed(items: number): void;
  release(): void;
}

/** Assumed until a request with items has been seen: small, so that the first burst is over- rather than under-counted. */
const INITIAL_BYTES_PER_ITEM = 256;

export class Admission {
  /** Items expected in the bodies not yet parsed. */
  private unparsedItems = 0;
  private held = 0;
  private bytesPerItem = INITIAL_BYTES_PER_ITEM;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly pendingItems: () => number,
  ) {}

  /** Request-body bytes held now. */
  get heldBytes(): number {
    return this.held;
  }

  private expect(bytes: number): number {
    return Math.max(1, Math.min(this.limits.maxItems, Math.ceil(bytes / this.bytesPerItem)));
  }

  /** A ticket, or why the request is refused (the text of a 429). */
  admit(declaredBytes: number): Ticket | string {
    const pending = this.pendingItems();
    const reading = this.unparsedItems + this.expect(declaredBytes);
    if ((pending > 0 || this.held > 0) && pending + reading > this.limits.maxQueue) {
      return `queue full: ${pending} items pending and about ${reading} in request bodies being read, limit ${this.limits.maxQueue}`;
    }
    if (this.held > 0 && this.held + declaredBytes > this.limits.maxHeldBytes) {
      return `busy: ${this.held} bytes of request bodies held, this one adds ${declaredBytes}, limit ${this.limits.maxHeldBytes}`;
    }
    let bytes = declaredBytes;
    let expected = this.expect(bytes);
    let unparsed = true;
    let released = false;
    this.held += bytes;
    this.unparsedItems += expected;
    const unexpect = () => {
      unparsed = false;
      this.unparsedItems -= expected;
    };
    return {
      grow: (n) => {
        if (released) return;
        bytes += n;
        this.held += n;
        if (!unparsed) return;
        this.unparsedItems -= expected;
        expected = this.expect(bytes);
        this.unparsedItems += expected;
      },
      parsed: (items) => {
        if (released || !unparsed) return;
        unexpect();
        if (items > 0) this.bytesPerItem = 0.8 * this.bytesPerItem + 0.2 * Math.max(1, bytes / items);
      },
      release: () => {
        if (released) return;
        released = true;
        this.held -= bytes;
        if (unparsed) unexpect();
      },
    };
  }
}
