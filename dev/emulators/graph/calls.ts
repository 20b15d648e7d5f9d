/** One call the Graph emulator answered (a `$batch` sub-request is its own entry, linked to the batch). */
export interface GraphCall {
  seq: number;
  method: string;
  /** Path with query, below the host (`/v1.0/applications?$top=2`). */
  path: string;
  status: number;
  start: string;
  end: string;
  durationMs: number;
  tenant?: string;
  /** The calling app's appId (from the token). */
  caller?: string;
  requestId: string;
  clientRequestId: string;
  /** The injected fault or emulated condition behind the answer, if any. */
  fault?: 'drop' | 'serverError' | 'throttle' | 'writeThrottle' | 'concurrency' | 'replicationLag';
  /** For a sub-request: the batch's request-id and the sub-request's id. */
  batch?: { requestId: string; id: string };
  errorCode?: string;
}

export class CallLog {
  #calls: GraphCall[] = [];
  #seq = 0;

  constructor(private readonly limit = 10_000) {}

  add(call: Omit<GraphCall, 'seq'>): GraphCall {
    const entry = { ...call, seq: ++this.#seq };
    this.#calls.push(entry);
    if (this.#calls.length > this.limit) this.#calls.splice(0, this.#calls.length - this.limit);
    return entry;
  }

  list(filter: { tenant?: string } = {}): GraphCall[] {
    return this.#calls.filter((c) => !filter.tenant || c.tenant === filter.tenant.toLowerCase());
  }

  clear(): void {
    this.#calls = [];
  }
}
