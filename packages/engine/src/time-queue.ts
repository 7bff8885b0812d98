/**
 * A FIFO of timestamps in a growable ring buffer: O(1) push and shift without the
 * O(n) cost of Array#shift on long queues (thousands of arrivals waiting in a stall).
 */
export class TimeQueue {
  #items: Float64Array;
  #head = 0;
  #length = 0;

  constructor(initialCapacity = 64) {
    this.#items = new Float64Array(initialCapacity);
  }

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) % this.#items.length] = value;
    this.#length++;
  }

  /** Removes and returns the oldest value; undefined when empty. */
  shift(): number | undefined {
    if (this.#length === 0) return undefined;
    const value = this.#items[this.#head] as number;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#length--;
    return value;
  }

  peek(): number | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  clear(): void {
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const next = new Float64Array(this.#items.length * 2);
    for (let i = 0; i < this.#length; i++) {
      next[i] = this.#items[(this.#head + i) % this.#items.length] as number;
    }
    this.#items = next;
    this.#head = 0;
  }
}
